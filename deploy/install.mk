# SPDX-License-Identifier: MIT
# make install / uninstall / deb, included by the Makefile. Directories
# (PREFIX, SBINDIR, DATADIR, MANDIR, DOCDIR, SYSCONFDIR, LOCALSTATEDIR) are
# set at the top of the Makefile; systemd's own directories come from its
# pkg-config file, as systemd reads units, sysusers.d and tmpfiles.d only
# from its own places (/usr/local/lib/sysusers.d is not one of them).
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
SYSUSERSDIR    ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),$(PREFIX)/lib/sysusers.d)
TMPFILESDIR    ?= $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),$(PREFIX)/lib/tmpfiles.d)

.PHONY: install uninstall deb man units

# Files with @DIR@ placeholders, filled with the directories above. They are
# rewritten only when the result changes, so `make install PREFIX=/usr` after
# `make PREFIX=/usr` rebuilds nothing, and another PREFIX is never stale.
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	-e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' -e 's|@SYSTEMDUNITDIR@|$(SYSTEMDUNITDIR)|g'
GEN_FILES = $(BUILD)/draftd.service $(BUILD)/draftd.sysusers $(BUILD)/draftd.tmpfiles
MAN_FILES = $(BUILD)/man/draftd.8 $(BUILD)/man/draftd.conf.5

# The binary has DATADIR and SYSCONFDIR compiled in (the web page and
# templates, the default config): the objects that use them follow them.
$(BUILD)/gen/paths.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR) $(SYSCONFDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/daemon/main.o $(BUILD)/daemon/config/config_finish.o $(BUILD)/tests/unit/test_config.o: \
	$(BUILD)/gen/paths.stamp

$(BUILD)/%: deploy/%.in FORCE
	@mkdir -p $(dir $@)
	@$(SUBST) $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# draftd.conf(5) lists the keys of deploy/draftd.conf.example (conf-keys.awk)
$(BUILD)/man/draftd.conf.5: deploy/man/draftd.conf.5.in deploy/draftd.conf.example deploy/man/conf-keys.awk FORCE
	@mkdir -p $(dir $@)
	@awk -f deploy/man/conf-keys.awk deploy/draftd.conf.example >$@.keys
	@$(SUBST) $< | awk -v keys=$@.keys '/^@KEYS@$$/ { while ((getline l < keys) > 0) print l; next } { print }' >$@.tmp
	@rm -f $@.keys
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

man: $(MAN_FILES)
units: $(GEN_FILES)

install: all $(GEN_FILES) $(MAN_FILES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/draftd/web $(DESTDIR)$(DATADIR)/draftd/templates \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -d -m 750 $(DESTDIR)$(SYSCONFDIR)/draftd $(DESTDIR)$(SYSCONFDIR)/draftd/secrets
	install -m 755 $(BUILD)/draftd $(DESTDIR)$(SBINDIR)/draftd
	cp -R ui-api/web/. $(DESTDIR)$(DATADIR)/draftd/web/
	cp -R deploy/templates/. $(DESTDIR)$(DATADIR)/draftd/templates/
	install -m 644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	install -m 644 deploy/draftd.conf.example $(DESTDIR)$(DOCDIR)/examples/draftd.conf.example
	install -m 644 deploy/demo/rules.json $(DESTDIR)$(DOCDIR)/examples/rules.json
	install -m 644 schemas/rules.schema.json $(DESTDIR)$(DOCDIR)/examples/rules.schema.json
	install -m 644 $(BUILD)/man/draftd.8 $(DESTDIR)$(MANDIR)/man8/draftd.8
	install -m 644 $(BUILD)/man/draftd.conf.5 $(DESTDIR)$(MANDIR)/man5/draftd.conf.5
	install -m 644 $(BUILD)/draftd.service $(DESTDIR)$(SYSTEMDUNITDIR)/draftd.service
	install -m 644 $(BUILD)/draftd.sysusers $(DESTDIR)$(SYSUSERSDIR)/draftd.conf
	install -m 644 $(BUILD)/draftd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/draftd.conf
	@# an operator's config is never overwritten
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/draftd/draftd.conf ]; then \
		install -m 640 deploy/draftd.conf.example $(DESTDIR)$(SYSCONFDIR)/draftd/draftd.conf; fi
	@# on a live system (no DESTDIR) as root: the user and its directories now
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers draftd.conf && systemd-tmpfiles --create draftd.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/draftd.conf && \
		systemd-tmpfiles --create $(TMPFILESDIR)/draftd.conf && \
		chgrp draftd $(SYSCONFDIR)/draftd/draftd.conf && \
		{ ! [ -d /run/systemd/system ] || systemctl daemon-reload; }; \
	else \
		echo "then, as root: systemd-sysusers $(SYSUSERSDIR)/draftd.conf;" \
			"systemd-tmpfiles --create $(TMPFILESDIR)/draftd.conf; systemctl daemon-reload"; \
	fi

# Leaves the config, the secrets, the draftd user and the database alone.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/draftd $(DESTDIR)$(SYSTEMDUNITDIR)/draftd.service \
		$(DESTDIR)$(SYSUSERSDIR)/draftd.conf $(DESTDIR)$(TMPFILESDIR)/draftd.conf \
		$(DESTDIR)$(MANDIR)/man8/draftd.8 $(DESTDIR)$(MANDIR)/man5/draftd.conf.5
	rm -rf $(DESTDIR)$(DATADIR)/draftd $(DESTDIR)$(DOCDIR)
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/draftd/ (config, secrets) and the draftd user"

# The Debian package, from a copy of the tree so the build never writes into
# the working tree's debian/ or build/: build/deb/draftd_*.deb.
deb:
	deploy/build-deb.sh $(BUILD)/deb
