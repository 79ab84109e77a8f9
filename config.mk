# rftkit build configuration (edit here, not in Makefile)
VERSION = 0.1.0
PREFIX  = /usr/local
MANPREFIX = $(PREFIX)/share/man
# reference data (HPO, HGNC) an installed rft-rank/rft-grade uses when given none
DATADIR = $(PREFIX)/share/rftkit

CC      = cc
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DRFT_VERSION=\"$(VERSION)\" -DRFT_DATADIR=\"$(DATADIR)\"
CFLAGS  = -std=c11 -O2 -g -Wall -Wextra -Werror -pthread $(JSONC_CFLAGS) $(ARCHIVE_CFLAGS)
LDFLAGS = -pthread
JSONC_CFLAGS = -I/usr/include/json-c
ARCHIVE_CFLAGS =
LIBS    = -ljson-c -larchive -lz -lm -lsqlite3
# libraries only one filter links: rft-call (HTTP), rft-run (YAML)
CURL_LIBS = -lcurl
YAML_LIBS = -lyaml

# sanitizer build used by `make check-asan` (objects and binaries under build/asan)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
