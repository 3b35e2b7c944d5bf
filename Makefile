# Hearth: `make run` starts the daemon, `make test` runs every test. Both install what is
# missing first (Debian/Ubuntu packages via apt, the Python test clients in .venv).

SWIFT_CONFIG ?= debug
DATA_DIR ?= $(CURDIR)/.hearth
ARGS ?=
HEARTHD := .build/$(SWIFT_CONFIG)/hearthd
VENV := .venv
PYTHON ?= /usr/bin/python3

# Debian packages the build, the sandbox and the bundled runtimes need.
APT_PACKAGES := libc6-dev libseccomp-dev libcap-dev zlib1g-dev libsqlite3-dev pkg-config python3 python3-venv nodejs gcc curl
# The real clients the integration tests drive (see README: why these pins).
PIP_PACKAGES := pytest==8.3.4 requests==2.32.3 python-openstackclient==10.5.0 python-qinlingclient==5.1.1 \
	huaweicloudsdkcore==3.1.219 huaweicloudsdkfunctiongraph==3.1.219

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PREFIX ?= /usr/local
DEB_DIR ?= $(CURDIR)/.build-deb

NODE_ADDON := runtimes/nodejs/hearth_fds.node
NODE_INCLUDE ?= /usr/include/node

# Fuzzing (Tests/Fuzz/README.md): hearth-fuzz built with libFuzzer and AddressSanitizer in its
# own scratch path, so that the flags never touch .build; only its own dependencies are built
# there (no Hummingbird, GRDB or Crypto). FUZZ_SECONDS per target for `make fuzz`,
# FUZZ_TEST_SECONDS per target in `make test`; FUZZ_TARGETS to run some (default: all).
FUZZ_SECONDS ?= 600
FUZZ_TEST_SECONDS ?= 15
FUZZ_TARGETS ?=
FUZZ_SCRATCH := .build-fuzz

.PHONY: run test bench build init deps venv unit integration release install uninstall deb clean help fuzz fuzz-build fuzz-replay fuzz-test

help:
	@echo "make run    - install what is missing, build, start hearthd (data in $(DATA_DIR))"
	@echo "make test   - install what is missing, build, run the unit tests, a short run of each fuzz"
	@echo "              target (FUZZ_TEST_SECONDS, default 15) and the integration tests"
	@echo "make bench  - release build; sandbox, pool and API numbers against same-run baselines, then the targets (PASS/MISS)"
	@echo "make install - release build into $(PREFIX) (static Swift runtime), systemd units, sysusers.d,"
	@echo "              tmpfiles.d and /etc/hearth/hearth.json; make uninstall removes all but config and data"
	@echo "make deb    - the same as .build-deb/hearth_$$(cat VERSION)_amd64.deb (dpkg-deb only)"
	@echo "make fuzz   - fuzz every parser of untrusted bytes for FUZZ_SECONDS each (default 600;"
	@echo "              FUZZ_TARGETS=\"json cron\" for some); new inputs and crashes go to $(FUZZ_SCRATCH)/runs"
	@echo "make test-system - build the .deb and check it in a booted Debian 12 VM (systemd, cgroup v2)"
	@echo "make clean  - remove build output, the test virtualenv and $(DATA_DIR)"

run: deps build
	@mkdir -p "$(DATA_DIR)"
	$(HEARTHD) --data-dir "$(DATA_DIR)" --runtimes-dir "$(CURDIR)/runtimes" $(ARGS)

test: deps build venv unit fuzz-test integration

# The system test: the .deb that `make deb` just built, installed and checked through its real
# units in a booted Debian 12 VM with systemd and cgroup v2 (Tests/system/run.sh; root, QEMU
# installed on first use, the VM image cached in /var/cache/hearth-vm).
.PHONY: test-system
test-system: deb
	Tests/system/run.sh "$(DEB_DIR)/hearth_$$(cat VERSION)_amd64.deb"

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@# N-API headers for the Node.js worker's addon: nodesource's nodejs has them, Debian's comes without.
	@[ -e $(NODE_INCLUDE)/node_api.h ] || { $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libnode-dev; }
	@command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.1 or newer from swift.org"; exit 1; }

build: $(NODE_ADDON)
	swift build -c $(SWIFT_CONFIG) --product hearthd
	$(MAKE) --no-print-directory init

# PID 1 of every sandbox (Sources/hearth-init): static, so that it runs with nothing of the
# host's inside the sandbox. hearthd (and hearth-bench, and the unit tests) look for it, and
# for hearth-launcher, beside their own executable, in SwiftPM's build directory.
init:
	@bin=$$(swift build -c $(SWIFT_CONFIG) --show-bin-path) && mkdir -p "$$bin" && \
	  gcc -static -O2 -Wall -Wextra -Werror -o "$$bin/hearth-init" Sources/hearth-init/main.c && \
	  $(MAKE) --no-print-directory "$$bin/hearth-launcher"

# The privileged half of hearthd (Sources/hearth-launcher): root, single-threaded, started by
# hearthd before it drops to its own user. Dynamic (it runs on the host) and built from the
# sandbox's C sources, which SwiftPM would only link with the Swift runtime.
LAUNCHER_SOURCES = $(wildcard Sources/hearth-launcher/*.c Sources/hearth-launcher/*.h Sources/CSandbox/*.c Sources/CSandbox/*.h Sources/CSandbox/include/*.h)
%/hearth-launcher: $(LAUNCHER_SOURCES)
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -Werror -ISources/CSandbox/include -ISources/CSandbox \
	  -o $@ $(filter %.c,$^) -lseccomp -lcap

# The Node.js worker's descriptor calls (see runtimes/nodejs/fds.c): an N-API addon, plain gcc.
$(NODE_ADDON): runtimes/nodejs/fds.c
	gcc -shared -fPIC -O2 -Wall -I$(NODE_INCLUDE) -o $@ $<

$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PIP_PACKAGES)
	touch $@

venv: $(VENV)/.installed

unit: init
	swift test

# The committed corpus replayed without the sanitizer (seconds), then a short fuzz run of each
# target: a crash or a broken property fails the test with the reproducer's path.
fuzz-test: fuzz-replay fuzz-build
	FUZZ_SEED=1 Tests/Fuzz/fuzz.sh $(FUZZ_TEST_SECONDS) $(FUZZ_TARGETS)

fuzz-replay:
	swift build --product hearth-fuzz
	.build/debug/hearth-fuzz replay Tests/Fuzz/corpus

fuzz: deps fuzz-build
	Tests/Fuzz/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The linker warns once per AddressSanitizer symbol it cannot export: the log keeps them,
# the terminal gets the errors.
fuzz-build:
	@echo "swift build --scratch-path $(FUZZ_SCRATCH) --product hearth-fuzz -Xswiftc -sanitize=fuzzer,address"
	@mkdir -p $(FUZZ_SCRATCH)
	@swift build --scratch-path $(FUZZ_SCRATCH) --product hearth-fuzz -Xswiftc -sanitize=fuzzer,address >$(FUZZ_SCRATCH)/build.log 2>&1 \
	  || { grep -v 'Cannot export local symbol' $(FUZZ_SCRATCH)/build.log | tail -40; exit 1; }

integration: venv build
	HEARTHD=$(CURDIR)/$(HEARTHD) $(VENV)/bin/pytest -v -p no:cacheprovider Tests/runtimes Tests/integration

# The installed daemon links the Swift runtime and Foundation statically: the box it runs on
# has no Swift toolchain (its RUNPATH would point into this one's). Both `make install` and
# `make deb` build it so, and install one layout (packaging/stage.sh).
release:
	swift build -c release --product hearthd --static-swift-stdlib --disable-local-rpath
	$(MAKE) --no-print-directory init SWIFT_CONFIG=release

install: deps $(NODE_ADDON) release
	packaging/stage.sh "$(DESTDIR)" "$(PREFIX)" .build/release
	@# On this machine (not into a DESTDIR): the `hearth` user and /var/lib/hearth, as the .deb's postinst.
	@if [ -z "$(DESTDIR)" ]; then \
	  conf=$$(packaging/stage.sh --paths "$(PREFIX)"); \
	  systemd-sysusers "$${conf%% *}" && systemd-tmpfiles --create "$${conf#* }"; \
	  [ -d /run/systemd/system ] && systemctl daemon-reload || true; \
	  echo "installed into $(PREFIX); start with: systemctl enable --now hearthd.socket"; \
	fi

# Leaves /etc/hearth, /var/lib/hearth and the `hearth` user (as the .deb's remove does).
uninstall:
	packaging/stage.sh --uninstall "$(DESTDIR)" "$(PREFIX)"

# hearth_<VERSION>_amd64.deb in $(DEB_DIR), its path printed last.
deb: deps $(NODE_ADDON) release
	@packaging/build-deb.sh .build/release $(DEB_DIR)

# Benchmarks, not tests (README, "Benchmarks"): every number next to a baseline measured in the
# same run, then issue 12's targets as PASS/MISS (a MISS does not fail it). BENCH_SECONDS per
# row (default 5), BENCH_CLIENTS (default 1,4,16); BENCH_JSON=file keeps the JSON line.
# The baseline runner is installed for the bench only: the tests do not need it.
BENCH_PIP_PACKAGES := functions-framework==3.10.2

$(VENV)/.bench-installed: $(VENV)/.installed Makefile
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(BENCH_PIP_PACKAGES)
	touch $@

bench: deps venv release $(VENV)/.bench-installed
	swift build -c release --product hearth-bench --static-swift-stdlib --disable-local-rpath
	HEARTHD=$(CURDIR)/.build/release/hearthd HEARTH_BENCH=$(CURDIR)/.build/release/hearth-bench \
	  $(VENV)/bin/python bench/run.py

clean:
	rm -rf .build $(FUZZ_SCRATCH) $(DEB_DIR) $(VENV) "$(DATA_DIR)" $(NODE_ADDON)
