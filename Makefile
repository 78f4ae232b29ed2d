# textseq: PGXS build.  Targets: all install installcheck test demo bench fuzz mock
#
# Layout (the data path, bottom up; a layer calls only the ones above it):
#   src/core/      pure cores (template, segments, schedule math, outcome
#                  classification, JSON; the libphonenumber shim): no server dependency
#   src/fn/        the C glue of SQL-callable functions (render, phones, schedule, ...)
#   src/provider/  HTTP to Twilio/Telnyx over libcurl: no SPI, no transactions
#   src/worker/    launcher, worker loop, claim, send, record, reconcile, rate limits
#   src/*.c        module init (GUCs) and the shared memory both sides use
#   src/sql/*.sql  the install script's sources (concatenated in name order)
# sql/ + expected/ pg_regress, test/ pgTAP, isolation, fuzz and the mock provider.

EXTENSION   = textseq
EXTVERSION  = 0.1.0
MODULE_big  = textseq

CORE_SRCS   = $(sort $(wildcard src/core/*.c))
GLUE_SRCS   = $(sort $(wildcard src/*.c src/fn/*.c src/provider/*.c src/worker/*.c))
CXX_SRCS    = $(sort $(wildcard src/core/*.cpp))
OBJS        = $(CORE_SRCS:.c=.o) $(GLUE_SRCS:.c=.o) $(CXX_SRCS:.cpp=.o)

SQL_SRCS    = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard $(EXTENSION)--*--*.sql)

REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=results --load-extension=textseq
ISOLATION   = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=results/isolation --load-extension=textseq

PG_CPPFLAGS = -iquote $(srcdir)/src -iquote $(srcdir)/src/core -Wall -Wextra -Werror \
              -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
              -Wno-cast-function-type
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK  = -lcurl -lphonenumber -lprotobuf -lstdc++ -lcrypto
EXTRA_CLEAN = $(DATA_built) results .deps src/.deps src/core/.deps src/fn/.deps src/provider/.deps src/worker/.deps regression.diffs regression.out \
              test/fuzz/bin test/unit/bin test/mock/textseq-mock

# No JIT bitcode: the C++ shim and the cores gain nothing from it.
override with_llvm = no
# Rebuild objects when a header they include changes (PGXS tracks it in .deps/).
override autodepend = yes

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
include $(PGXS)

# Phone time zone prefixes, generated from shared data into an install-script part.
PHONE_TZ_SRC ?= $(firstword $(wildcard data/libphonenumber-timezones/timezones_map_data.txt))

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SRCS) scripts/gen-tz-sql.sh $(PHONE_TZ_SRC)
	{ echo "-- textseq $(EXTVERSION): generated from src/sql/*.sql; do not edit"; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION textseq" to load this file. \quit'; \
	  for f in $(SQL_SRCS); do echo; echo "-- ==== $$f"; cat $$f; done; \
	  echo; echo "-- ==== phone time zone prefixes"; \
	  sh scripts/gen-tz-sql.sh $(PHONE_TZ_SRC); } > $@

# ---- pure cores standalone: unit tests and fuzzers ---------------------------
CORE_STD_SRCS = $(CORE_SRCS) test/fuzz/alloc_std.c
FUZZ_HARNESSES = $(basename $(notdir $(wildcard test/fuzz/fuzz_*.c test/fuzz/fuzz_*.cpp)))
FUZZ_BINS   = $(addprefix test/fuzz/bin/,$(FUZZ_HARNESSES))
FUZZ_CC     = clang-14
FUZZ_FLAGS  = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -iquote src -iquote src/core

test/fuzz/bin/%: test/fuzz/%.c $(CORE_STD_SRCS) $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_STD_SRCS)

# The phone shim is C++ over libphonenumber: its harness links the shim, not the cores.
test/fuzz/bin/fuzz_phone: test/fuzz/fuzz_phone.cpp src/core/phone_shim.cpp src/core/phone.h
	@mkdir -p $(dir $@)
	clang++-14 -std=c++17 $(FUZZ_FLAGS) -o $@ $< src/core/phone_shim.cpp -lphonenumber -lprotobuf

fuzz-build: $(FUZZ_BINS)

# FUZZ_SECONDS per harness (default short, for make test).
FUZZ_SECONDS ?= 20
fuzz: fuzz-build
	sh scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

UNIT_TESTS  = $(basename $(notdir $(wildcard test/unit/test_*.c)))
UNIT_BINS   = $(addprefix test/unit/bin/,$(UNIT_TESTS))
test/unit/bin/%: test/unit/%.c $(CORE_STD_SRCS) $(wildcard src/core/*.h) test/unit/unit.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -iquote src -iquote src/core -iquote test/unit -o $@ $< $(CORE_STD_SRCS)

unit-build: $(UNIT_BINS)

# ---- mock provider -----------------------------------------------------------
test/mock/textseq-mock: $(wildcard test/mock/*.c test/mock/*.h)
	$(CC) -O2 -g -Wall -Wextra -Werror -I$(shell $(PG_CONFIG) --includedir) \
	  -o $@ $(filter %.c,$^) -lmicrohttpd -lpq -lpthread

mock: test/mock/textseq-mock

# ---- the two commands ----------------------------------------------------------
test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh

.PHONY: test demo bench fuzz fuzz-build unit-build mock
