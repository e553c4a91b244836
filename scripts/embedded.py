"""The embedded default: stratusd with every plugin built in build/plugins
enabled, on loopback ports, with its state under build/embedded/.

    scripts/run-embedded [--http-port 8900] [--keep-running-dir]
"""

import argparse
import glob
import os
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build")


def plugin_sections(plugin_dir):
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(plugin_dir, "*.so")))
    return "".join(f"[plugin.{name}]\nenabled = yes\n\n" for name in names), names


def write_config(run_dir, args):
    plugin_dir = os.path.join(BUILD, "plugins")
    sections, names = plugin_sections(plugin_dir)
    text = (f"; written by scripts/embedded.py\n[host]\nplugin_dir = {plugin_dir}\n\n"
            f"[log]\nlevel = {args.log_level}\n\n"
            f"[http]\nlisten = 127.0.0.1:{args.http_port}\n"
            f"admin_socket = {run_dir}/stratusd.sock\n\n{sections}")
    path = os.path.join(run_dir, "stratus.ini")
    with open(path, "w") as f:
        f.write(text)
    return path, names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--http-port", type=int, default=8900)
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args()
    run_dir = os.path.join(BUILD, "embedded")
    os.makedirs(run_dir, exist_ok=True)
    config, names = write_config(run_dir, args)
    print(f"embedded: {config} ({len(names)} plugins: {', '.join(names)})", flush=True)
    print(f"embedded: http://127.0.0.1:{args.http_port}/status · "
          f"build/bin/stratusctl -c {config} status · Ctrl-C stops", flush=True)
    daemon = subprocess.Popen([os.path.join(BUILD, "bin", "stratusd"), "-c", config])
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: daemon.send_signal(s))
    code = daemon.wait()
    sys.exit(code)


if __name__ == "__main__":
    main()
