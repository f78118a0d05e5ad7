"""The contract between the comparison driver (`compare.py`) and each profile module.

A profile measures one thing (e.g. POP3S RETR throughput) on Loft and on one or more peers
(Dovecot, Postfix, `openssl s_server`). The driver builds one `Environment`, calls `setup()` once,
then `run(peer)` alternately for every peer, round after round (A B A B ...), and `teardown()` at
the end, even after a failure. Profiles live in `scripts/bench/profiles/*.py`; each module has a
module-level `PROFILES` list of `Profile` instances.
"""

from dataclasses import dataclass, field


@dataclass
class Environment:
    """What every profile shares, made once per driver run."""
    workdir: str            # a fresh temporary directory; profiles make sub-directories in it
    cert_path: str          # RSA-2048 certificate (PEM), SAN localhost and 127.0.0.1, used by every server
    key_path: str           # its private key (PEM)
    loft_bin: str           # the `loft` executable (release build)
    tools_dir: str          # where compiled load generators are built (cc -O2)
    users: list = field(default_factory=list)  # [(name, password, sha512_crypt_hash)]
    quick: bool = False     # fewer/smaller iterations, for a smoke run


@dataclass
class Measurement:
    value: float                 # in the profile's unit
    server_cpu_s: float = 0.0    # server CPU (utime + stime of the whole process tree) during the measurement
    client_cpu_s: float = 0.0    # load generator CPU during the measurement
    extra: dict = field(default_factory=dict)   # e.g. {"p99_ms": 12.3}; printed beside the value


class Profile:
    name = "unnamed"            # e.g. "pop3s-retr-pipelined"
    unit = ""                   # e.g. "msg/s", "KB/session"
    higher_is_better = True
    peers = ("loft",)           # e.g. ("loft", "dovecot") — the first is always "loft"

    def setup(self, env: Environment) -> None:
        """Starts the servers this profile needs (private instances on 127.0.0.1) and fills them."""

    def run(self, peer: str) -> Measurement:
        """One measurement against `peer`. Raises on any protocol error or wrong answer."""
        raise NotImplementedError

    def teardown(self) -> None:
        """Stops every process `setup` started (by PID) and removes what it made."""
