#!/usr/bin/env python3
"""Loft side by side with Dovecot and Postfix (issue 11): the one command.

    python3 scripts/bench/compare.py [--profiles a,b] [--rounds 3] [--quick] [--loft-bin PATH] [--markdown FILE]

Runs as root. Installs what is missing from Debian (Dovecot's pop3d, imapd, lmtpd, Postfix; Debian's
own services are never started: a policy-rc.d that refuses is in place during the install), makes one
Environment (profile.py: a fresh temporary directory, one RSA-2048 self-signed certificate for every
server, users with `openssl passwd -6` hashes, the compiled load generator), then runs every profile of
`scripts/bench/profiles/*.py`: setup, rounds × peers alternately (loft, peer, loft, peer, ...), teardown.
Prints one table row per profile and peer: medians, min–max, the ratio oriented so that > 1 means
Loft is better, server CPU per operation and the load generator's CPU, and the machine.
"""

import argparse
import hashlib
import importlib.util
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from profile import Environment  # noqa: E402  (scripts/bench/profile.py, the contract)
import servers  # noqa: E402

PACKAGES = ("dovecot-core", "dovecot-imapd", "dovecot-pop3d", "dovecot-lmtpd", "postfix",
            "openssl", "libssl-dev", "gcc", "libc6-dev")
IDLE_USERS = 1000
QUICK_IDLE_USERS = 100


# -- installation ----------------------------------------------------------------------------------

def installed(package):
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True).stdout
    return "install ok installed" in status


def install_missing():
    missing = [package for package in PACKAGES if not installed(package)]
    if not missing:
        return
    print(f"installing from Debian: {' '.join(missing)}", flush=True)
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Dovecot and Postfix are reference programs here, never system services: Debian's policy-rc.d
    # convention keeps the package scripts from starting them (unless the machine already says so).
    policy = "/usr/sbin/policy-rc.d"
    made_policy = False
    if not os.path.exists(policy):
        with open(policy, "w") as script:
            script.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
        made_policy = True
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                       check=True, env=environment)
    finally:
        if made_policy:
            os.remove(policy)


# -- the environment -------------------------------------------------------------------------------

def default_loft_bin():
    if os.environ.get("LOFT_BIN"):
        return os.environ["LOFT_BIN"]
    main_release = "/work/main/.build-release/release/loft"
    if os.access(main_release, os.X_OK):
        return main_release
    return os.path.join(REPO, ".build", "release", "loft")


def make_users(count_idle):
    names = ["bench", "bench2"] + [f"idle{i:04d}" for i in range(count_idle)]
    passwords = [f"pw-{name}" for name in names]
    hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="".join(p + "\n" for p in passwords),
                            check=True, capture_output=True, text=True).stdout.split()
    assert len(hashes) == len(names)
    return list(zip(names, passwords, hashes))


def build_tools(tools_dir):
    source = os.path.join(HERE, "loadgen.c")
    subprocess.run(["cc", "-O2", "-Wall", "-pthread", "-o", os.path.join(tools_dir, "loadgen"), source,
                    "-lssl", "-lcrypto"], check=True)


def make_environment(args):
    workdir = tempfile.mkdtemp(prefix="loft-compare-")
    os.chmod(workdir, 0o755)   # Dovecot's mail processes (uid nobody) reach their homes under it
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o644)   # a throw-away key; the peers' unprivileged processes may read it
    tools = os.path.join(workdir, "tools")
    os.makedirs(tools)
    build_tools(tools)
    # A copy: other engineers may rebuild the release binary while this runs; every profile measures
    # the one build that was there at the start.
    loft_copy = os.path.join(tools, "loft")
    shutil.copy2(args.loft_bin, loft_copy)
    return Environment(workdir=workdir, cert_path=cert, key_path=key, loft_bin=loft_copy, tools_dir=tools,
                       users=make_users(QUICK_IDLE_USERS if args.quick else IDLE_USERS), quick=args.quick)


# -- profiles --------------------------------------------------------------------------------------

def load_profiles():
    found = []
    directory = os.path.join(HERE, "profiles")
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith(".py") or filename.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"bench_profiles_{filename[:-3]}",
                                                      os.path.join(directory, filename))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += list(getattr(module, "PROFILES", []))
    return found


# -- the machine -----------------------------------------------------------------------------------

def command_output(arguments):
    try:
        return subprocess.run(arguments, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def describe_build(loft_bin):
    """The binary, its mtime, the start of its SHA-256, and the commit its repository is at."""
    build = loft_bin
    try:
        digest = hashlib.sha256()
        with open(loft_bin, "rb") as binary:
            for chunk in iter(lambda: binary.read(1 << 20), b""):
                digest.update(chunk)
        build += time.strftime(" (built %Y-%m-%d %H:%M UTC", time.gmtime(os.stat(loft_bin).st_mtime))
        repository = loft_bin.split("/.build")[0]
        head = command_output(["git", "-C", repository, "log", "-1", "--format=%h %s"])
        build += f", sha256 {digest.hexdigest()[:12]}; {repository} at {head[:60]})"
    except OSError:
        build += " (missing)"
    return build


def machine_lines(build):
    return [
        f"nproc={os.cpu_count()}, kernel {platform.release()}, {command_output(['openssl', 'version'])}",
        f"Dovecot {servers.dovecot_version()}, Postfix {command_output(['postconf', '-d', 'mail_version']).split('= ')[-1]}",
        f"loft: {build}",
    ]


# -- formatting ------------------------------------------------------------------------------------

def number(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def spread(values):
    return f"{number(statistics.median(values))} ({number(min(values))}–{number(max(values))})"


def cpu_per_op(measurements):
    """Median server CPU per operation (µs or ms), when the profile says how many operations
    (extra "ops", or its own server_cpu_us_per_… / server_cpu_ms_per_…); else the median server CPU
    seconds per measurement."""
    per = [m.server_cpu_s / m.extra["ops"] for m in measurements if m.extra.get("ops")]
    if not per:   # a profile's own figure, e.g. extra["server_cpu_us_per_msg"] or ["server_cpu_ms_per_open"]
        for m in measurements:
            for key, value in m.extra.items():
                if key.startswith(("server_cpu_us_per_", "server_cpu_ms_per_")) and isinstance(value, (int, float)):
                    per.append(value / (1e6 if "_us_" in key else 1e3))
                    break
    if not per:
        values = [m.server_cpu_s for m in measurements]
        return f"{statistics.median(values):.2f} s" if values else "?"
    value = statistics.median(per)
    return f"{value * 1e3:.2f} ms" if value >= 1e-3 else f"{value * 1e6:.0f} µs"


def client_share(measurements):
    """The load generator's CPU as a share of one core over the measurement (median): from the
    profile's extra "seconds" (wall time of the measured part), or its own "client_core_share"."""
    shares = [m.client_cpu_s / m.extra["seconds"] if m.extra.get("seconds") else m.extra["client_core_share"]
              for m in measurements if m.extra.get("seconds") or "client_core_share" in m.extra]
    return f"{statistics.median(shares) * 100:.0f}%" if shares else "?"


def ratio_text(profile, loft, peer):
    a, b = statistics.median(loft), statistics.median(peer)
    if a <= 0 or b <= 0:
        return "?"
    better = a / b if profile.higher_is_better else b / a
    return f"{better:.2f}× better" if better >= 1 else f"{better:.2f}× (worse)"


def table_rows(results):
    """[(profile, unit, peer, loft cell, peer cell, ratio, cpu/op loft / peer, client share loft / peer,
    1-minute load average at the profile's start → end)]"""
    rows = []
    for profile, measured, error, load in results:
        if error is not None and not measured.get("loft"):
            rows.append((profile.name, profile.unit, "—", "failed", "", error, "", "", load))
            continue
        loft = measured.get("loft", [])
        for peer in profile.peers[1:]:
            theirs = measured.get(peer, [])
            if not loft or not theirs:
                rows.append((profile.name, profile.unit, peer, spread([m.value for m in loft]) if loft else "—",
                             "failed", error or "no measurement", "", "", load))
                continue
            rows.append((profile.name, profile.unit, peer, spread([m.value for m in loft]),
                         spread([m.value for m in theirs]),
                         ratio_text(profile, [m.value for m in loft], [m.value for m in theirs]),
                         f"{cpu_per_op(loft)} / {cpu_per_op(theirs)}",
                         f"{client_share(loft)} / {client_share(theirs)}", load))
    return rows


HEADER = ("profile", "unit", "peer", "Loft: median (min–max)", "peer: median (min–max)", "Loft vs peer",
          "server CPU per op, Loft / peer", "client CPU (of one core), Loft / peer", "load avg")


def print_table(rows):
    widths = [max(len(str(row[i])) for row in rows + [HEADER]) for i in range(len(HEADER))]
    for row in [HEADER] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def markdown_table(rows):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def describe(measurement):
    extra = ", ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                      for key, value in measurement.extra.items())
    return (f"{number(measurement.value)}  (server CPU {measurement.server_cpu_s:.2f} s, "
            f"client CPU {measurement.client_cpu_s:.2f} s{'; ' + extra if extra else ''})")


# -- main ------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", help="comma-separated profile names (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per peer, alternating (default 3)")
    parser.add_argument("--quick", action="store_true", help="fewer and shorter iterations (a smoke run)")
    parser.add_argument("--loft-bin", default=default_loft_bin(), help="the loft executable (release build)")
    parser.add_argument("--markdown", help="also write the table and the machine as Markdown to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs) afterwards")
    args = parser.parse_args()

    if os.geteuid() != 0:
        print("compare.py must run as root: it installs Debian packages and starts Dovecot, which "
              "switches to its own users", file=sys.stderr)
        sys.exit(2)
    install_missing()
    profiles = load_profiles()
    if args.profiles:
        wanted = [name.strip() for name in args.profiles.split(",") if name.strip()]
        known = {profile.name for profile in profiles}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            sys.exit(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        profiles = [profile for profile in profiles if profile.name in wanted]
    if not os.access(args.loft_bin, os.X_OK):
        sys.exit(f"{args.loft_bin} not found: build it with `swift build -c release --product loft`, or pass --loft-bin")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = load_average()
    build = describe_build(args.loft_bin)
    environment = make_environment(args)
    print("\n".join(machine_lines(build)))
    print(f"started {started}, load average {load_before}; {args.rounds} rounds, peers alternate "
          f"(loft, peer, loft, peer, ...); workdir {environment.workdir}", flush=True)
    results = []
    try:
        for profile in profiles:
            measured, error, load_start = {}, None, load_average().split()[0]
            print(f"\n== {profile.name} ({profile.unit}, {'higher' if profile.higher_is_better else 'lower'} is "
                  f"better), load average {load_average()}", flush=True)
            try:
                profile.setup(environment)
                for round_number in range(1, args.rounds + 1):
                    for peer in profile.peers:
                        measurement = profile.run(peer)
                        measured.setdefault(peer, []).append(measurement)
                        print(f"  round {round_number} {peer:9} {describe(measurement)}", flush=True)
            except Exception as failure:   # one profile failing must not lose the others' figures
                error = f"{type(failure).__name__}: {str(failure)[:200]}"
                print(f"  FAILED: {error}", flush=True)
                traceback.print_exc()
            finally:
                try:
                    profile.teardown()
                except Exception:
                    traceback.print_exc()
            results.append((profile, measured, error, f"{load_start}→{load_average().split()[0]}"))
    finally:
        report(args, build, started, load_before, results)
        if args.keep:
            print(f"kept {environment.workdir}")
        else:
            shutil.rmtree(environment.workdir, ignore_errors=True)
    if any(error for _, _, error, _ in results):
        sys.exit(1)


def report(args, build, started, load_before, results):
    finished = time.strftime("%H:%M UTC", time.gmtime())
    machine = machine_lines(build) + [
        f"{started} – {finished}; load average (1, 5, 15 min) before {load_before}, after {load_average()}; "
        f"other builds may share these cores, hence A B A B alternation"]
    rows = table_rows(results)
    print()
    print_table(rows)
    print("\n".join(machine))
    if args.markdown:
        with open(args.markdown, "w") as output:
            output.write(markdown_table(rows) + "\n\n" + "\n".join(f"- {line}" for line in machine) + "\n")
        print(f"wrote {args.markdown}", flush=True)


if __name__ == "__main__":
    main()
