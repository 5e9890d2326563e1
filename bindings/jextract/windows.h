/* The headers io.panago.bindings.windows is generated from (Windows SDK, or mingw-w64's headers;
 * see README.md). WindowsLayoutProbeTest compiles its probe against this same file with
 * x86_64-w64-mingw32-gcc. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <windows.h>
