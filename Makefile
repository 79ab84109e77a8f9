# rftkit - GNU make (pattern rules); settings live in config.mk
.SUFFIXES:

include config.mk

# every filters/NAME.c but the front door is a filter, built as bin/rft-NAME
FILTERS = $(filter-out rft,$(patsubst filters/%.c,%,$(wildcard filters/*.c)))
PROGS   = bin/rft $(FILTERS:%=bin/rft-%)

COMMON_SRC = filters/common/util.c filters/common/strbuf.c filters/common/input.c \
             filters/common/json.c filters/common/output.c filters/common/opt.c \
             filters/common/records.c filters/common/case.c \
             filters/common/strmap.c filters/common/stats.c filters/common/hgnc.c filters/common/template.c \
             filters/common/hpo.c filters/common/datafile.c filters/common/sha256.c \
             filters/common/grader.c filters/common/pyworker.c filters/common/rankmodel.c
COMMON_HDR = filters/common/util.h filters/common/strbuf.h filters/common/input.h \
             filters/common/json.h filters/common/output.h filters/common/opt.h \
             filters/common/records.h filters/common/case.h filters/common/exitcodes.h \
             filters/common/strmap.h filters/common/stats.h filters/common/hgnc.h filters/common/template.h \
             filters/common/hpo.h filters/common/datafile.h filters/common/sha256.h \
             filters/common/grader.h filters/common/pyworker.h filters/common/rankmodel.h

# BUILD names the object directory; the sanitizer build sets it to build/asan.
# common/ is compiled once into $(BUILD)/librft.a, which every program links.
BUILD = build/release
BINDIR = bin
COMMON_OBJ = $(COMMON_SRC:filters/common/%.c=$(BUILD)/common/%.o)
LIBRFT = $(BUILD)/librft.a

all: $(PROGS)

$(BUILD)/common/%.o: filters/common/%.c $(COMMON_HDR) config.mk
	@mkdir -p $(BUILD)/common
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -c -o $@ $<

$(LIBRFT): $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJ)

$(BINDIR)/rft: filters/rft.c $(LIBRFT) $(COMMON_HDR) config.mk
	@mkdir -p $(BINDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ filters/rft.c $(LIBRFT) $(LDFLAGS) $(LIBS)

$(BINDIR)/rft-%: filters/%.c $(LIBRFT) $(COMMON_HDR) config.mk
	@mkdir -p $(BINDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ $< $(LIBRFT) $(LDFLAGS) $(LIBS)

# filters with a library of their own (the asan build sets BINDIR too)
$(BINDIR)/rft-call: LIBS += $(CURL_LIBS)
$(BINDIR)/rft-run: LIBS += $(YAML_LIBS)

build/test-common: tests/unit/test_common.c $(LIBRFT) $(COMMON_HDR) config.mk
	@mkdir -p build
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ tests/unit/test_common.c $(LIBRFT) $(LDFLAGS) $(LIBS)

# the sanitizer twins, in build/asan/bin
asan:
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin CFLAGS="$(CFLAGS) $(SAN_FLAGS)" LDFLAGS="$(LDFLAGS) $(SAN_FLAGS)" \
		build/asan/bin/rft $(FILTERS:%=build/asan/bin/rft-%)

check: all build/test-common
	sh tests/run.sh

check-asan: asan
	RFT_BIN=build/asan/bin sh tests/run.sh

check-valgrind: all build/test-common
	RFT_VALGRIND=1 sh tests/run.sh

# the README's test command runs this: everything CI runs
check-all: check check-asan check-valgrind

# the README's main command: the demo pipeline, then what it found
demo: all
	bin/rft-run pipelines/demo.yaml
	@cat build/demo/summary.txt

bench: all
	bash tests/bench/bench-extract
	sh tests/bench/bench-rank
	bash tests/bench/bench-grade
	bash tests/bench/bench-report
	bash tests/bench/bench-call
	sh tests/bench/bench-train

clean:
	rm -rf build $(PROGS)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1
	cp $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp man/*.1 $(DESTDIR)$(MANPREFIX)/man1/
	mkdir -p $(DESTDIR)$(DATADIR)/hpo $(DESTDIR)$(DATADIR)/hgnc
	cp testdata/hpo/*.gz testdata/hpo/README.md $(DESTDIR)$(DATADIR)/hpo/
	cp testdata/hgnc/*.gz testdata/hgnc/README.md $(DESTDIR)$(DATADIR)/hgnc/

.PHONY: all asan check check-asan check-valgrind check-all demo bench clean install
