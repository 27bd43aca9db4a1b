# libFuzzer harnesses. Run from the repository root:
#   make -f tests/fuzz/fuzz.mk fuzz-smoke             every harness, 20 s each (make test)
#   make -f tests/fuzz/fuzz.mk fuzz-long              every harness, FUZZ_SECONDS each
#   make -f tests/fuzz/fuzz.mk fuzz-long FUZZ_TARGETS=acpi FUZZ_SECONDS=3600
#   make -f tests/fuzz/fuzz.mk build/fuzz/fuzz_acpi   just build one
#
# A harness is tests/fuzz/fuzz_<name>.c plus tests/fuzz/fuzz_<name>.srcs, one
# line naming the sources under test (like tests/unit/*.srcs). Seeds come from
# tests/fuzz/corpus/<name>/ when it exists. Everything the fuzzer writes (new
# corpus entries, crash and timeout reproducers) goes under build/fuzz/, never
# into the source tree; a crash fails the make and leaves its reproducer in
# build/fuzz/artifacts/<name>/. Replay one with: build/fuzz/fuzz_<name> FILE

FUZZ_CC ?= clang
FUZZ_B := build/fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_RSS_MB ?= 2048

FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I. -Itests/unit -DHV_HOST_TEST -D_GNU_SOURCE

FUZZ_HARNESSES := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ALL := $(FUZZ_HARNESSES:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS := $(FUZZ_ALL:%=$(FUZZ_B)/fuzz_%)

.SECONDEXPANSION:
.PHONY: fuzz-build fuzz-smoke fuzz-long
.DEFAULT_GOAL := fuzz-smoke

fuzz-build: $(FUZZ_BINS)

# The harness's .srcs file is required (empty if it tests nothing outside
# itself), so a harness whose sources were forgotten fails loudly.
$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_%.srcs tests/unit/test_log.c \
		$$(shell cat tests/fuzz/fuzz_%.srcs 2>/dev/null)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< tests/unit/test_log.c $(shell cat tests/fuzz/fuzz_$*.srcs)

tests/fuzz/fuzz_%.srcs:
	@echo "fuzz: $@ is missing: list the sources fuzz_$*.c tests, on one line" >&2; exit 1

# $(call fuzz_run,name,seconds): fuzz one harness. New inputs go to the first
# corpus directory (under build/), the seeds are only read. libFuzzer's chatter
# goes to build/fuzz/fuzz_<name>.log, shown only when the run fails.
define fuzz_run
	@mkdir -p $(FUZZ_B)/corpus/$(1) $(FUZZ_B)/artifacts/$(1)
	@echo "== fuzz_$(1): $(2) s, log $(FUZZ_B)/fuzz_$(1).log"
	@log=$(FUZZ_B)/fuzz_$(1).log; \
	if env -u HV_TEST_VERBOSE $(FUZZ_B)/fuzz_$(1) -max_total_time=$(2) \
		-rss_limit_mb=$(FUZZ_RSS_MB) -timeout=25 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_B)/artifacts/$(1)/ \
		$(FUZZ_B)/corpus/$(1) $(wildcard tests/fuzz/corpus/$(1)) >$$log 2>&1; then \
		grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' $$log; \
	else \
		tail -n 60 $$log; \
		echo "fuzz_$(1): FAILED; reproducer in $(FUZZ_B)/artifacts/$(1)/, full log $$log" >&2; \
		exit 1; \
	fi

endef

fuzz-smoke: $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
	$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),$(FUZZ_SMOKE_SECONDS)))

fuzz-long: $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
	$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),$(FUZZ_SECONDS)))
