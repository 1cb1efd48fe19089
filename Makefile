# Two commands for a fresh machine with Python 3.11+ and make:
#   make demo   installs into .venv, then runs the demo class end to end
#   make test   installs into .venv, then runs ruff and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install system-deps hub-deps node-deps lite-deps lite serve demo test test-fast lint book bench clean locale

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mercatique demo

lint: $(STAMP)
	$(BIN)/ruff check .

# The book tests look at pages in headless Chromium (Debian's package); grading
# sandboxes student kernels with bubblewrap; a school's gradebook test starts a real
# PostgreSQL server; `release` gives each student's notebook to that student alone with
# POSIX ACLs (setfacl) when the teacher is not root; the book's synthesis diagrams are
# drawn by Graphviz (dot). `sheet` lays out PDFs with WeasyPrint, which needs Pango
# (libpango-1.0-0, libpangoft2-1.0-0) and fonts; its tests read the PDFs with
# poppler-utils (pdftotext, pdftoppm). Installed here when missing (root).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null || ! command -v bwrap >/dev/null || ! command -v setfacl >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || ! command -v pdftotext >/dev/null || ! command -v pdftoppm >/dev/null \
	  || ! ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || ! fc-list | grep -q "Liberation Sans\|DejaVu Sans"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium bubblewrap postgresql acl graphviz \
	      libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core poppler-utils >/dev/null; \
	  else \
	    echo "Installez d'abord : sudo apt-get install chromium bubblewrap postgresql acl graphviz libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core poppler-utils"; exit 1; \
	  fi; \
	fi

# The JupyterHub test (tests/test_hub.py) runs students' servers as local Unix users:
# they need a Python outside /root (Debian's python3.11 in a venv under /opt, with
# JupyterHub, JupyterLab and the product) and the hub's proxy from npm. Root only;
# elsewhere the test skips.
HUB_VENV ?= /opt/mercatique-hub-venv
HUB_NODE ?= /opt/mercatique-hub-node
HUB_PYTHON ?= /usr/bin/python3.11
HUB_STAMP := $(HUB_VENV)/.installed-stamp
CHP := $(HUB_NODE)/node_modules/.bin/configurable-http-proxy

hub-deps:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory $(HUB_STAMP) $(CHP); \
	else echo "hub-deps : réservé à root (le test JupyterHub sera sauté)"; fi

$(HUB_STAMP): pyproject.toml
	@if ! $(HUB_PYTHON) -c 'import venv, ensurepip' 2>/dev/null && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv >/dev/null; fi
	test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --quiet --upgrade pip
	$(HUB_VENV)/bin/python -m pip install --quiet --quiet jupyterhub jupyterlab ipykernel .
	rm -rf build *.egg-info
	touch $(HUB_STAMP)

$(CHP):
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-audit --no-fund --prefix $(HUB_NODE) configurable-http-proxy

# The browser tests check pages with axe-core, from the npm registry at the version
# pinned in package-lock.json (installed into node_modules/; needs Node.js and npm).
NODE_STAMP := node_modules/.installed-stamp

node-deps: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

# The JupyterLite practice site (mercatique lite): Pyodide's core comes from the npm
# package (node-deps); the kernel's start-up packages are pure-Python wheels from PyPI,
# downloaded once by pip at the versions of generators/book/lite_wheels.txt (no network after).
LITE_WHEELS := $(VENV)/share/mercatique/lite-wheels
LITE_STAMP := $(LITE_WHEELS)/.installed-stamp

lite-deps: $(LITE_STAMP)

$(LITE_STAMP): $(STAMP) generators/book/lite_wheels.txt
	mkdir -p $(LITE_WHEELS)
	$(BIN)/python -m pip download --quiet --quiet --no-deps --only-binary=:all: --python-version 3.14 \
	  -d $(LITE_WHEELS) -r generators/book/lite_wheels.txt
	touch $(LITE_STAMP)

lite: $(STAMP) node-deps lite-deps
	$(BIN)/mercatique lite

serve: $(STAMP)
	$(BIN)/mercatique serve

test: $(STAMP) system-deps hub-deps node-deps lite-deps lint
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

book: $(STAMP) node-deps
	$(BIN)/mercatique book

# Speed figures (printed, never asserted): assignment generation, grading, book build, worksheets.
bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.generate_assignment
	$(BIN)/python -m benchmarks.grading
	$(BIN)/python -m benchmarks.grader_memory
	$(BIN)/python -m benchmarks.book_build
	$(BIN)/python -m benchmarks.worksheets

# click's messages in French: rebuild the compiled catalogue after editing the .po
locale: $(STAMP)
	$(BIN)/python -m generators.cli_french

clean:
	rm -rf _build demo .pytest_cache
