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
             filters/common/grader/grader.c filters/common/grader/formula.c \
             filters/common/grader/gene_rank.c filters/common/grader/gene_spans.c \
             filters/common/grader/text.c filters/common/grader/python.c \
             filters/common/grader/pyworker.c filters/common/grader/textsim.c \
             filters/common/grader/porter.c filters/common/grader/wordnet.c filters/common/grader/meteor.c \
             filters/common/grader/model.c filters/common/client.c filters/common/rankmodel.c \
             filters/common/progress.c filters/common/fuse.c
COMMON_HDR = filters/common/util.h filters/common/strbuf.h filters/common/input.h \
             filters/common/json.h filters/common/output.h filters/common/opt.h \
             filters/common/records.h filters/common/case.h filters/common/exitcodes.h \
             filters/common/strmap.h filters/common/stats.h filters/common/hgnc.h filters/common/template.h \
             filters/common/hpo.h filters/common/datafile.h filters/common/sha256.h \
             filters/common/grader.h filters/common/grader/internal.h filters/common/grader/pyworker.h \
             filters/common/grader/textsim.h filters/common/grader/porter.h filters/common/grader/wordnet.h \
             filters/common/grader/meteor.h filters/common/grader/model.h filters/common/client.h \
             filters/common/rankmodel.h filters/common/progress.h filters/common/fuse.h

# BUILD names the object directory; the sanitizer build sets it to build/asan.
# common/ is compiled once into $(BUILD)/librft.a, which every program links.
BUILD = build/release
BINDIR = bin
COMMON_OBJ = $(COMMON_SRC:filters/common/%.c=$(BUILD)/common/%.o)
LIBRFT = $(BUILD)/librft.a

all: $(PROGS)

$(BUILD)/common/%.o: filters/common/%.c $(COMMON_HDR) config.mk
	@mkdir -p $(@D)
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

# the python gene_rank exports as (grader/gene_rank.c), embedded as a C string
$(BUILD)/gene_rank_py.h: filters/common/grader/gene_rank.py
	@mkdir -p $(BUILD)
	{ echo '/* made by the Makefile from filters/common/grader/gene_rank.py: do not edit */'; \
	  echo 'static const char export_py[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$$/\\n"/' filters/common/grader/gene_rank.py; \
	  echo '	;'; } > $@.tmp && mv $@.tmp $@
$(BUILD)/common/grader/gene_rank.o: $(BUILD)/gene_rank_py.h
# rft-prompt's built-in templates, the same way
TEMPLATES = pipelines/templates/default.tmpl pipelines/templates/hybrid.tmpl
$(BUILD)/templates_tmpl.h: $(TEMPLATES)
	@mkdir -p $(BUILD)
	{ echo '/* made by the Makefile from $(TEMPLATES): do not edit */'; \
	  for t in $(TEMPLATES); do \
	    echo "static const char $$(basename $$t .tmpl)_template[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$$/\\n"/' $$t; \
	    echo '	;'; \
	  done; } > $@.tmp && mv $@.tmp $@
$(BINDIR)/rft-prompt: $(BUILD)/templates_tmpl.h
$(BINDIR)/rft-prompt: CPPFLAGS += -I$(BUILD)
$(BUILD)/common/grader/gene_rank.o: CPPFLAGS += -I$(BUILD)

# filters with a library of their own (the asan build sets BINDIR too);
# the grader's model graders (common/grader/model.c) call through libcurl
$(BINDIR)/rft-call $(BINDIR)/rft-grade $(BINDIR)/rft-train $(BINDIR)/rft-prompt: LIBS += $(CURL_LIBS)
$(BINDIR)/rft-run: LIBS += $(YAML_LIBS)

# the fuzz harnesses (tests/fuzz/README.md) replayed over their corpora and
# reproducers without a fuzzing engine: what tests/t0060-fuzz-replay.sh runs
FUZZ_TARGETS = json_diff template grader input pipeline phenopacket
FUZZ_HDR = tests/fuzz/fuzz.h tests/fuzz/fuzz.c
fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay-%)

$(BUILD)/fuzz-replay-%: tests/fuzz/%.c tests/fuzz/replay.c $(FUZZ_HDR) $(LIBRFT) $(COMMON_HDR) config.mk
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ $< tests/fuzz/fuzz.c tests/fuzz/replay.c $(LIBRFT) $(LDFLAGS) $(LIBS) $(YAML_LIBS) $(CURL_LIBS)
# two harnesses include a filter's source (its functions are static)
$(BUILD)/fuzz-replay-pipeline: filters/run.c
$(BUILD)/fuzz-replay-phenopacket: filters/extract.c

build/test-common: tests/unit/test_common.c $(LIBRFT) $(COMMON_HDR) config.mk
	@mkdir -p build
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ tests/unit/test_common.c $(LIBRFT) $(LDFLAGS) $(LIBS) $(CURL_LIBS)

# the sanitizer twins, in build/asan/bin
asan:
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin CFLAGS="$(CFLAGS) $(SAN_FLAGS)" LDFLAGS="$(LDFLAGS) $(SAN_FLAGS)" \
		build/asan/bin/rft $(FILTERS:%=build/asan/bin/rft-%) $(FUZZ_TARGETS:%=build/asan/fuzz-replay-%)

# libFuzzer builds of the harnesses (clang), in build/fuzz; `make fuzz` runs
# each FUZZ_TIME seconds (never in CI), new crashes go to build/fuzz/crashes/
FUZZ_CC = clang
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TIME = 60
fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) CFLAGS="-std=c11 -g -O1 -Wall -Wextra -pthread $(JSONC_CFLAGS) $(ARCHIVE_CFLAGS) $(FUZZ_SAN)" \
		LDFLAGS="$(LDFLAGS) $(FUZZ_SAN)" $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)

build/fuzz/fuzz-%: tests/fuzz/%.c $(FUZZ_HDR) $(LIBRFT) $(COMMON_HDR) config.mk
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ifilters -o $@ $< tests/fuzz/fuzz.c $(LIBRFT) $(LDFLAGS) $(LIBS) $(YAML_LIBS) $(CURL_LIBS)
build/fuzz/fuzz-pipeline: filters/run.c
build/fuzz/fuzz-phenopacket: filters/extract.c

fuzz: fuzz-build
	sh tests/fuzz/fuzz.sh $(FUZZ_TIME) $(FUZZ_TARGETS)

check: all build/test-common fuzz-replay
	sh tests/run.sh

check-asan: asan
	RFT_BIN=build/asan/bin sh tests/run.sh

check-valgrind: all build/test-common fuzz-replay
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

# make install PREFIX=DIR [DESTDIR=STAGE]: the programs, man pages, reference
# data, bundled sample and pipelines; DATADIR/MANIFEST lists what it put, and
# make uninstall (same PREFIX and DESTDIR) removes exactly that.  The programs
# find the data beside their bin/ (../share/rftkit), whatever PREFIX they were
# built with; see bin/install.sh
install: all
	sh bin/install.sh install "$(DESTDIR)" "$(PREFIX)/bin" "$(MANPREFIX)/man1" "$(DATADIR)" $(PROGS:bin/%=$(BINDIR)/%)

uninstall:
	sh bin/install.sh uninstall "$(DESTDIR)" "$(DATADIR)"

.PHONY: all asan fuzz fuzz-build fuzz-replay check check-asan check-valgrind check-all demo bench clean install uninstall
