# make install: the programs, their systemd units and example configs,
# and the system user xdpdns-server runs as.
#
#   make install                      to /usr/local, the user made if missing
#   make install PREFIX=/usr DESTDIR=/tmp/pkg    staged, for a package
#
# Configs in /etc/xdpdns/ are never overwritten: NAME.conf.example is
# refreshed, NAME.conf written only when there is none. Units go where
# systemd reads a prefix's units ($(PREFIX)/lib/systemd/system; /etc/
# systemd/system stays the administrator's), rewritten to run the
# programs from $(SBINDIR).

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
CONFDIR ?= /etc/xdpdns
XD_USER := xdpdns
XD_USERADD := useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin $(XD_USER)

INSTALL_PROGS := xdpdns-server xdpdns-loader xdpdns-zonec xdpdns-health
INSTALL_UNITS := userspace/xdpdns-server.service health/xdpdns-health.service
# source example : the config's name in $(CONFDIR)
INSTALL_CONFS := userspace/xdpdns-server.conf.example:server.conf \
	health/xdpdns-health.conf.example:health.conf

.PHONY: install
install: $(addprefix $(BUILD)/,$(INSTALL_PROGS))
	$(Q)install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(CONFDIR)
	$(Q)install -m 0755 $^ $(DESTDIR)$(SBINDIR)/
	$(Q)for u in $(INSTALL_UNITS); do \
		sed 's|/usr/local/sbin/|$(SBINDIR)/|g' $$u \
			>$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp \
			$(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	$(Q)for c in $(INSTALL_CONFS); do \
		src=$${c%%:*} dst=$(DESTDIR)$(CONFDIR)/$${c##*:}; \
		install -m 0644 $$src $$dst.example || exit 1; \
		if [ -e $$dst ]; then echo "kept $$dst (new example: $$dst.example)"; \
		else install -m 0644 $$src $$dst || exit 1; fi; \
	done
	$(Q)printf 'u %s - "xdpdns DNS server" /nonexistent /usr/sbin/nologin\n' \
		$(XD_USER) >$(DESTDIR)$(SYSUSERSDIR)/$(XD_USER).conf
	$(Q)if [ -n "$(DESTDIR)" ]; then \
		echo "DESTDIR set: the system user $(XD_USER) is not created here."; \
		echo "The package must create it at install (postinst), e.g.:"; \
		echo "  systemd-sysusers $(SYSUSERSDIR)/$(XD_USER).conf"; \
		echo "or: getent passwd $(XD_USER) >/dev/null || $(XD_USERADD)"; \
	elif getent passwd $(XD_USER) >/dev/null; then :; \
	else echo "creating the system user $(XD_USER)"; $(XD_USERADD); fi
	@echo "installed to $(DESTDIR)$(SBINDIR), units in $(DESTDIR)$(UNITDIR)," \
		"configs in $(DESTDIR)$(CONFDIR); then: systemctl daemon-reload"
