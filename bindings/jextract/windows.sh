#!/bin/sh
# Regenerates io.panago.bindings.windows with jextract (JDK 22 build, https://jdk.java.net/jextract/).
# Run on Windows x64 with the Windows SDK (or on Linux with mingw-w64 headers via --clang-args --target=x86_64-w64-mingw32 -I/usr/share/mingw-w64/include).
# Run from the repository root; then reapply the hand edits listed in bindings/jextract/README.md.
set -eu
exec jextract \
  --output bindings/src/main/java \
  --target-package io.panago.bindings.windows \
  --header-class-name Windows \
  --library ws2_32 \
  --library kernel32 \
  --include-function WSAStartup --include-function WSACleanup --include-function WSAGetLastError --include-function WSASocketW \
  --include-function bind --include-function listen --include-function connect --include-function closesocket \
  --include-function shutdown --include-function getsockname --include-function getpeername --include-function setsockopt \
  --include-function getsockopt --include-function ioctlsocket --include-function WSARecv --include-function WSASend \
  --include-function WSAIoctl --include-function WSAGetOverlappedResult --include-function WSADuplicateSocketW --include-function CreateIoCompletionPort \
  --include-function GetQueuedCompletionStatusEx --include-function PostQueuedCompletionStatus --include-function CancelIoEx --include-function SetFileCompletionNotificationModes \
  --include-function DuplicateHandle --include-function GetCurrentProcess --include-function GetCurrentProcessId --include-function GetLastError \
  --include-function CloseHandle \
  --include-struct sockaddr --include-struct in_addr --include-struct sockaddr_in --include-struct in6_addr \
  --include-struct sockaddr_in6 --include-struct sockaddr_storage --include-struct linger --include-struct tcp_keepalive \
  --include-typedef SOCKET --include-typedef HANDLE --include-typedef DWORD --include-typedef WORD --include-typedef BOOL \
  --include-typedef ULONG --include-typedef ULONG_PTR --include-typedef GROUP --include-typedef ADDRESS_FAMILY --include-typedef u_long \
  --include-typedef u_short --include-typedef OVERLAPPED --include-typedef OVERLAPPED_ENTRY --include-typedef WSABUF --include-typedef WSADATA \
  --include-typedef GUID --include-typedef WSAPROTOCOLCHAIN --include-typedef WSAPROTOCOL_INFOW --include-typedef SCOPE_ID --include-typedef LPFN_ACCEPTEX \
  --include-typedef LPFN_CONNECTEX --include-typedef LPFN_GETACCEPTEXSOCKADDRS \
  --include-constant AF_UNSPEC --include-constant AF_INET --include-constant AF_INET6 --include-constant SOCK_STREAM \
  --include-constant SOCK_DGRAM --include-constant IPPROTO_IP --include-constant IPPROTO_TCP --include-constant IPPROTO_UDP \
  --include-constant IPPROTO_IPV6 --include-constant IPV6_V6ONLY --include-constant SOL_SOCKET --include-constant SO_REUSEADDR \
  --include-constant SO_EXCLUSIVEADDRUSE --include-constant SO_KEEPALIVE --include-constant SO_LINGER --include-constant SO_SNDBUF \
  --include-constant SO_RCVBUF --include-constant SO_ERROR --include-constant SO_TYPE --include-constant SO_BROADCAST \
  --include-constant SO_UPDATE_ACCEPT_CONTEXT --include-constant SO_UPDATE_CONNECT_CONTEXT --include-constant TCP_NODELAY --include-constant SOMAXCONN \
  --include-constant SD_RECEIVE --include-constant SD_SEND --include-constant SD_BOTH --include-constant INVALID_SOCKET \
  --include-constant SOCKET_ERROR --include-constant WSA_FLAG_OVERLAPPED --include-constant WSA_FLAG_NO_HANDLE_INHERIT --include-constant FROM_PROTOCOL_INFO \
  --include-constant SIO_GET_EXTENSION_FUNCTION_POINTER --include-constant SIO_KEEPALIVE_VALS --include-constant FIONBIO --include-constant FIONREAD --include-constant MSG_PEEK \
  --include-constant MSG_OOB --include-constant INADDR_ANY --include-constant INADDR_LOOPBACK --include-constant WSADESCRIPTION_LEN \
  --include-constant WSASYS_STATUS_LEN --include-constant WSAPROTOCOL_LEN --include-constant MAX_PROTOCOL_CHAIN --include-constant INFINITE \
  --include-constant WAIT_TIMEOUT --include-constant FILE_SKIP_COMPLETION_PORT_ON_SUCCESS --include-constant FILE_SKIP_SET_EVENT_ON_HANDLE --include-constant DUPLICATE_CLOSE_SOURCE \
  --include-constant DUPLICATE_SAME_ACCESS --include-constant INVALID_HANDLE_VALUE --include-constant ERROR_SUCCESS --include-constant ERROR_INVALID_HANDLE \
  --include-constant ERROR_NOT_ENOUGH_MEMORY --include-constant ERROR_HANDLE_EOF --include-constant ERROR_NETNAME_DELETED --include-constant ERROR_INVALID_PARAMETER \
  --include-constant ERROR_BROKEN_PIPE --include-constant ERROR_SEM_TIMEOUT --include-constant ERROR_MORE_DATA --include-constant ERROR_ABANDONED_WAIT_0 \
  --include-constant ERROR_OPERATION_ABORTED --include-constant ERROR_IO_INCOMPLETE --include-constant ERROR_IO_PENDING --include-constant ERROR_NOT_FOUND \
  --include-constant ERROR_CONNECTION_REFUSED --include-constant ERROR_NETWORK_UNREACHABLE --include-constant ERROR_HOST_UNREACHABLE --include-constant ERROR_PORT_UNREACHABLE \
  --include-constant ERROR_CONNECTION_ABORTED --include-constant WSA_IO_PENDING --include-constant WSA_IO_INCOMPLETE --include-constant WSA_OPERATION_ABORTED \
  --include-constant WSA_INVALID_HANDLE --include-constant WSA_INVALID_PARAMETER --include-constant WSA_NOT_ENOUGH_MEMORY --include-constant WSAEINTR \
  --include-constant WSAEBADF --include-constant WSAEACCES --include-constant WSAEFAULT --include-constant WSAEINVAL \
  --include-constant WSAEMFILE --include-constant WSAEWOULDBLOCK --include-constant WSAEINPROGRESS --include-constant WSAEALREADY \
  --include-constant WSAENOTSOCK --include-constant WSAEDESTADDRREQ --include-constant WSAEMSGSIZE --include-constant WSAEPROTOTYPE \
  --include-constant WSAENOPROTOOPT --include-constant WSAEPROTONOSUPPORT --include-constant WSAESOCKTNOSUPPORT --include-constant WSAEOPNOTSUPP \
  --include-constant WSAEPFNOSUPPORT --include-constant WSAEAFNOSUPPORT --include-constant WSAEADDRINUSE --include-constant WSAEADDRNOTAVAIL \
  --include-constant WSAENETDOWN --include-constant WSAENETUNREACH --include-constant WSAENETRESET --include-constant WSAECONNABORTED \
  --include-constant WSAECONNRESET --include-constant WSAENOBUFS --include-constant WSAEISCONN --include-constant WSAENOTCONN \
  --include-constant WSAESHUTDOWN --include-constant WSAETIMEDOUT --include-constant WSAECONNREFUSED --include-constant WSAEHOSTUNREACH \
  --include-constant WSANOTINITIALISED --include-constant WSAEDISCON \
  bindings/jextract/windows.h
