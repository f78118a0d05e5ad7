#!/usr/bin/env python3
"""Runs profiles on their own, without the comparison driver: a minimal Environment (RSA-2048
certificate made by openssl, users with `openssl passwd -6`), then setup, the peers alternately
(A B A B ...) for N rounds, teardown. Prints one line per measurement and the medians.

Usage: scripts/bench/run_profile.py MODULE[:NAME] [--rounds N] [--quick] [--loft PATH]
  MODULE is a file name in scripts/bench/profiles/ without ".py" (e.g. smtp), NAME a profile's name.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import traceback

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import benchlib  # noqa: E402

contract = benchlib.contract()


def environment(workdir, quick, loft_bin, user_count=16):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o644)   # the peers' unprivileged processes may read it (a throw-away key)
    names = [f"u{index:02d}" for index in range(user_count)]
    passwords = [f"pw-{name}" for name in names]
    hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="".join(p + "\n" for p in passwords).encode(),
                            check=True, capture_output=True).stdout.decode().split()
    return contract.Environment(workdir=workdir, cert_path=cert, key_path=key, loft_bin=loft_bin,
                                tools_dir=os.path.join(workdir, "tools"), users=list(zip(names, passwords, hashes)),
                                quick=quick)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--loft", default="/work/main/.build-release/release/loft")
    args = parser.parse_args()
    module_name, _, profile_name = args.target.partition(":")
    spec = importlib.util.spec_from_file_location(f"profiles.{module_name}",
                                                  os.path.join(BENCH, "profiles", module_name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    profiles = [p for p in module.PROFILES if not profile_name or p.name == profile_name]
    if not profiles:
        sys.exit(f"no profile {profile_name!r} in {module_name}: {[p.name for p in module.PROFILES]}")
    workdir = tempfile.mkdtemp(prefix="loft-run-profile-")
    failed = False
    try:
        env = environment(workdir, args.quick, args.loft)
        for profile in profiles:
            results = {peer: [] for peer in profile.peers}
            try:
                profile.setup(env)
                for round_number in range(1, args.rounds + 1):
                    for peer in profile.peers:
                        load = os.getloadavg()[0]
                        measurement = profile.run(peer)
                        results[peer].append(measurement.value)
                        print(f"{profile.name} round {round_number} {peer:8} {measurement.value:10.1f} {profile.unit} "
                              f"server CPU {measurement.server_cpu_s:.2f} s, client CPU {measurement.client_cpu_s:.2f} s, "
                              f"load {load:.2f} {json.dumps(measurement.extra)}", flush=True)
            except Exception:  # noqa: BLE001 - report and go on with the next profile
                traceback.print_exc()
                failed = True
            finally:
                profile.teardown()
            medians = {peer: statistics.median(values) for peer, values in results.items() if values}
            if "loft" in medians and len(medians) > 1:
                for peer, value in medians.items():
                    if peer != "loft":
                        print(f"{profile.name}: median loft {medians['loft']:.1f} / {peer} {value:.1f} {profile.unit} "
                              f"= {medians['loft'] / value if value else float('inf'):.2f}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
