# hostile-lib.py -- helpers shared by the hostile-*.py tests (loaded by path;
# not a test itself). Everything else comes from alg-lib.py.
import random, socket


def low_port():
    """A port free for UDP and TCP on 127.0.0.1 below the ephemeral range
    (32768-60999), so no socket bound to port 0 elsewhere can take it."""
    for _ in range(200):
        p = random.randint(20000, 32000)
        try:
            for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, t)
                s.bind(("127.0.0.1", p))
                s.close()
        except OSError:
            continue
        return p
    raise SystemExit("FAIL: no free port below the ephemeral range")


def agw_port_args():
    """wicgated arguments giving the AGW media port ranges of its own (200
    ports each, below the ephemeral range): another wicgated on the machine
    (a benchmark) may hold every port of the default ranges."""
    a, c = low_port(), low_port()
    return ["--set", "agw.access-ports=%d-%d" % (a, a + 199),
            "--set", "agw.core-ports=%d-%d" % (c, c + 199)]


def asan(pid):
    """Is the process an ASan build? Its quarantine keeps freed memory, so
    RSS says nothing there; LeakSanitizer checks leaks at exit instead."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()
