# Every target sets up what it needs: a fresh clone only needs Python 3.11 and npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 8000

.PHONY: run test bench setup app vendor db services clean

# A developer's set-up: the app and the test tools. `make run` installs only the app's packages.
setup: app $(VENV)/.installed-test

app: $(VENV)/.installed vendor

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

vendor: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js

db: app
	$(FLASK) db upgrade

# Web app (gunicorn on every interface) and the Huey consumer, supervised together (the database
# is brought up to date first); Ctrl-C stops both.
run: app
	$(BIN)/python -m clientbook.serve --port $(PORT)

# The tests that talk to the database most, run again on a throwaway PostgreSQL server:
# the same code must work there when a shop outgrows SQLite.
POSTGRES_TESTS := tests/test_migrations.py tests/test_client_list.py tests/test_search_order.py tests/test_reminder_generation.py tests/test_today.py \
	tests/test_reminder_rules_on_random_books.py tests/test_reminder_wording.py tests/test_reminder_cli_and_settings.py \
	tests/test_jobs_rules.py tests/test_today_jobs.py tests/test_media.py \
	tests/test_digest.py tests/test_search.py tests/test_clients_filters.py tests/test_merge.py \
	tests/test_import_clients.py tests/test_import_purchases.py tests/test_export.py tests/test_import_jobs.py \
	tests/test_import_history.py tests/test_import_reassign.py \
	tests/test_outbox.py tests/test_campaign.py tests/test_auto_send.py tests/test_form_tokens.py \
	tests/test_conversations.py tests/test_appointments.py tests/test_calendar_feed.py \
	tests/test_jobs.py tests/test_bench_smoke.py tests/test_channel_credentials.py \
	tests/test_imap.py tests/test_replies_waiting.py tests/test_text.py tests/test_folding.py tests/test_tags.py \
	tests/test_sessions.py tests/test_auth_signin.py tests/test_card_partials.py

# The queue's tests, run again with the queue on a throwaway redis-server (CLIENTBOOK_HUEY_URL=redis://...),
# with the tests marked `redis`: two web servers and two consumers sharing PostgreSQL and Redis.
REDIS_TESTS := tests/test_reminder_worker.py tests/test_campaign_crash.py tests/test_outbox.py \
	tests/test_campaign.py tests/test_digest.py tests/test_auto_send.py tests/test_scale_out.py

# Browser tests need Debian's Chromium, the PostgreSQL pass PostgreSQL's binaries, the Redis pass redis-server;
# install them when missing and we may (root). Without them those tests skip loudly.
services:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages for the tests:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "WARNING: could not install$$missing"; \
	fi

# PYTEST_ARGS="-k search" runs a part of the suite (and skips the PostgreSQL and Redis passes).
# Two workers (pytest-xdist), one per core; each has its own instance folder, databases and servers
# (and Chromium); a browser file's flows stay on one worker. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup
test: setup services
	$(PYTEST) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(PYTEST) --postgres $(POSTGRES_TESTS))
	$(if $(PYTEST_ARGS),,$(PYTEST) --redis $(REDIS_TESTS))

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache test-output
