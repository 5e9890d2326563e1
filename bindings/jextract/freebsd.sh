#!/bin/sh
# Regenerates io.panago.bindings.freebsd with jextract (JDK 22 build, https://jdk.java.net/jextract/).
# Run on FreeBSD 12 or later (amd64 or arm64). Constants and struct kevent only: the functions are
# macOS's signatures, called through io.panago.bindings.macos bound to libc.
# Run from the repository root; then reapply the hand edits listed in bindings/jextract/README.md.
set -eu
exec jextract \
  --output bindings/src/main/java \
  --target-package io.panago.bindings.freebsd \
  --header-class-name Freebsd \
  --include-struct kevent \
  --include-constant EVFILT_READ --include-constant EVFILT_WRITE --include-constant EVFILT_USER --include-constant EV_ADD \
  --include-constant EV_DELETE --include-constant EV_ENABLE --include-constant EV_DISABLE --include-constant EV_ONESHOT \
  --include-constant EV_CLEAR --include-constant EV_RECEIPT --include-constant EV_DISPATCH --include-constant EV_EOF \
  --include-constant EV_ERROR --include-constant NOTE_FFNOP --include-constant NOTE_FFAND --include-constant NOTE_FFOR \
  --include-constant NOTE_FFCOPY --include-constant NOTE_FFCTRLMASK --include-constant NOTE_FFLAGSMASK --include-constant NOTE_TRIGGER \
  bindings/jextract/freebsd.h
