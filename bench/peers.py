"""What make bench's scripts share about the servers measured beside
xdpdns: knotd's and NSD's configuration for one bench zone, and dnsperf's
summary. server_bench.py runs them on loopback, side_by_side.py in a
namespace; both import this from bench/."""
import os
import re
import shutil

ORIGIN = "bench.example."


def knotd_conf(tmp, zone, listen, xdp_dev=None, log_file=False):
    """A knotd configuration in tmp/knot serving zone at listen
    ("ADDR@PORT"), one worker of each kind, with its XDP mode on xdp_dev
    if given; logging errors to standard error, or everything to a file
    with log_file. Returns the configuration's path and the log's (or
    None)."""
    d = os.path.join(tmp, "knot")
    for sub in ("run", "db", "zones"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    shutil.copy(zone, os.path.join(d, "zones", "bench.zone"))
    log = os.path.join(d, "knotd.log") if log_file else None
    lines = ["server:", "    rundir: %s/run" % d, "    listen: %s" % listen,
             "    udp-workers: 1", "    tcp-workers: 1",
             "    background-workers: 1"]
    if xdp_dev:
        lines += ["xdp:", "    listen: %s@53" % xdp_dev, "    udp: on"]
    lines += ["database:", "    storage: %s/db" % d,
              "log:", "  - target: %s" % (log or "stderr"),
              "    any: %s" % ("info" if log else "error"),
              "template:", "  - id: default",
              "    storage: %s/zones" % d, "    semantic-checks: off",
              "    zonefile-sync: -1", "    journal-content: none",
              "zone:", "  - domain: %s" % ORIGIN,
              "    file: bench.zone", ""]
    conf = os.path.join(d, "knot.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines))
    return conf, log


def nsd_conf(tmp, zone, listen):
    """An NSD configuration in tmp/nsd serving zone at listen
    ("ADDR@PORT"), one server process, response rate limiting off
    (Debian's NSD limits by default; the others here do not)."""
    d = os.path.join(tmp, "nsd")
    os.makedirs(d, exist_ok=True)
    shutil.copy(zone, os.path.join(d, "bench.zone"))
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:", "    ip-address: %s" % listen,
            "    server-count: 1", "    username: \"\"",
            "    zonesdir: \"%s\"" % d, "    database: \"\"",
            "    pidfile: \"%s/nsd.pid\"" % d,
            "    xfrdfile: \"%s/xfrd.state\"" % d,
            "    zonelistfile: \"%s/zone.list\"" % d,
            "    verbosity: 0", "    hide-version: yes",
            "    rrl-ratelimit: 0",
            "    logfile: \"%s/nsd.log\"" % d,
            "remote-control:", "    control-enable: no",
            "zone:", "    name: %s" % ORIGIN,
            "    zonefile: bench.zone", ""]))
    return conf


def parse_dnsperf(out, err=""):
    """dnsperf's summary: queries sent and completed, qps, replies by
    rcode, average latency (ms, or None). Raises when there is none."""
    if "Queries sent:" not in out:
        raise RuntimeError("dnsperf said: " + (out + err)[-600:])
    m = re.search(r"Average Latency \(s\):\s+([\d.]+)", out)
    return {
        "sent": int(re.search(r"Queries sent:\s+(\d+)", out).group(1)),
        "completed":
            int(re.search(r"Queries completed:\s+(\d+)", out).group(1)),
        "qps":
            float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1)),
        "rcodes": {m.group(1): int(m.group(2)) for m in
                   re.finditer(r"\b([A-Z]+) (\d+) \([\d.]+%\)", out)},
        "avg_ms": 1000 * float(m.group(1)) if m else None,
    }
