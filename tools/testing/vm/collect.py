#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one run of the vmig test VM.

Reads results.log (the tests' output between "@@vmig" markers, written by
init.sh) and console.log (the kernel log), and appends one line per result
to a tally file: "PASS name", "FAIL name" or "SKIP name".

- A KUnit module's KTAP is parsed with the kernel tree's own
  tools/testing/kunit/kunit.py; each test case is one result.
- A kselftest's TAP gives one result per test; tests its plan announced but
  that never reported (a crash) count as failures, and so does a non-zero
  exit status that no test explains.
- The kernel log must be free of KASAN, lockdep, WARN, BUG, Oops, hung-task
  and RCU-stall reports, and the final kmemleak scan must find nothing,
  whatever the tests said: each of these is one result.
- A VM that did not reach the end of its plan is a failure, unless the
  harness killed it on purpose (--killed): then the program it was running
  is judged on the results it reported, and its kernel log is still
  scanned.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

MARK = '@@vmig '

# Kernel log lines that fail the run whatever the tests said.
BAD_LOG = re.compile('|'.join([
    r'BUG:', r'WARNING:', r'Kernel panic', r'Oops', r'general protection',
    r'------------\[ cut here \]------------', r'Call Trace:',
    r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage',
    r'INFO: task .* blocked for more than', r'soft lockup', r'hard LOCKUP',
    r'rcu: INFO: .* stall', r'new suspected memory leak',
    r'unreferenced object', r'UBSAN:', r'list_add corruption',
    r'list_del corruption', r'Unable to handle', r'double fault',
]))
TAP_RESULT = re.compile(r'^(not ok|ok)\s+(\d+)\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)')


class Tally:
    def __init__(self, path, prefix):
        self.f = open(path, 'a')
        self.prefix = prefix

    def add(self, status, name, why=''):
        line = f'{status} {self.prefix}{name}'
        self.f.write(line + '\n')
        if status != 'PASS':
            print(line + (f': {why}' if why else ''))


def sections(path):
    """Yield (kind, name, rc, lines) for every begin/end pair, and the
    markers seen ('start', 'done')."""
    seen = set()
    out = []
    cur = None
    with open(path, errors='replace') as f:
        for raw in f:
            line = raw.rstrip('\r\n')
            if line.startswith(MARK):
                words = line[len(MARK):].split()
                if not words:
                    continue
                seen.add(words[0])
                if words[0] == 'begin' and len(words) >= 3:
                    cur = (words[1], words[2], [])
                elif words[0] == 'end' and cur and len(words) >= 4:
                    out.append((cur[0], cur[1], int(words[3]), cur[2]))
                    cur = None
                elif words[0] == 'fail':
                    out.append(('setup', ' '.join(words[1:]), 1, []))
                continue
            if cur:
                cur[2].append(line)
    if cur:  # began but never ended: the VM died inside it
        out.append((cur[0], cur[1], None, cur[2]))
    return out, seen


def kunit_cases(node, prefix=None):
    """Yield (suite.case, status) below kunit.py's JSON root node."""
    full = f'{prefix}{node.get("name", "")}' if prefix is not None else ''
    for case in node.get('test_cases', []):
        yield f'{full}.{case["name"]}', case.get('status', 'FAIL')
    for sub in node.get('sub_groups', []):
        yield from kunit_cases(sub, f'{full}.' if full else '')


def judge_kunit(tally, name, rc, lines, kunit_py):
    with tempfile.TemporaryDirectory() as tmp:
        ktap = os.path.join(tmp, 'ktap')
        js = os.path.join(tmp, 'json')
        with open(ktap, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        proc = subprocess.run([sys.executable, kunit_py, 'parse',
                               f'--json={js}', ktap],
                              capture_output=True, text=True)
        print(proc.stdout, end='')
        cases = []
        if os.path.exists(js) and os.path.getsize(js):
            with open(js) as f:
                cases = list(kunit_cases(json.load(f)))
    for case, status in cases:
        tally.add({'PASS': 'PASS', 'SKIP': 'SKIP'}.get(status, 'FAIL'),
                  f'kunit/{case}', status)
    if rc != 0 or not cases or proc.returncode != 0:
        tally.add('FAIL', f'kunit/{name}',
                  f'module exit status {rc}, kunit.py {proc.returncode}, '
                  f'{len(cases)} cases')


def judge_tap(tally, name, rc, lines, killed=False):
    plan = None
    results = {}
    failed = False
    for line in lines:
        print(f'  {name}: {line}')
        m = TAP_PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = TAP_RESULT.match(line)
        if not m:
            continue
        num = int(m.group(2))
        desc = m.group(3) or str(num)
        directive = (m.group(5) or '').upper()
        if directive.startswith('SKIP'):
            status = 'SKIP'
        elif m.group(1) == 'ok':
            status = 'PASS'
        else:
            status = 'FAIL'
            failed = True
        results[num] = (desc, status)
    for num in sorted(results):
        desc, status = results[num]
        tally.add(status, f'{name}/{desc}')
    if killed and rc is None and plan is not None:
        # Killed while it ran: what it did not report, it never reached.
        print(f'  {name}: killed after {len(results)} of {plan} results')
        return
    if plan is not None:
        for num in range(1, plan + 1):
            if num not in results:
                failed = True
                tally.add('FAIL', f'{name}/#{num}', 'announced, never reported')
    # 4 is KSFT_SKIP: the whole program skipped.
    if rc is None or (rc not in (0, 4) and not failed) or plan is None:
        tally.add('FAIL', f'{name}', f'exit status {rc}, plan {plan}')


def judge_log(tally, console):
    bad = []
    if os.path.exists(console):
        with open(console, errors='replace') as f:
            for line in f:
                if BAD_LOG.search(line):
                    bad.append(line.rstrip())
    for line in bad[:40]:
        print(f'  kernel log: {line}')
    tally.add('FAIL' if bad else 'PASS', 'kernel-log-clean',
              f'{len(bad)} bad lines' if bad else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--outdir', required=True)
    ap.add_argument('--kunit-py', required=True)
    ap.add_argument('--tally', required=True)
    ap.add_argument('--prefix', default='vm/')
    ap.add_argument('--killed', action='store_true',
                    help='the harness killed the VM on purpose: a missing '
                    'end is not a failure')
    args = ap.parse_args()

    tally = Tally(args.tally, args.prefix)
    results = os.path.join(args.outdir, 'results.log')
    secs, seen = sections(results) if os.path.exists(results) else ([], set())
    for kind, name, rc, lines in secs:
        if kind == 'kunit':
            judge_kunit(tally, name, rc, lines, args.kunit_py)
        elif kind == 'kselftest':
            judge_tap(tally, name, rc, lines, args.killed)
        elif kind == 'run':
            for line in lines:
                print(line)
            tally.add('PASS' if rc == 0 else 'FAIL', f'run/{name}',
                      f'exit status {rc}')
        elif kind == 'kmemleak':
            leaks = [ln for ln in lines if ln.strip()]
            for ln in leaks[:40]:
                print(f'  kmemleak: {ln}')
            tally.add('FAIL' if leaks else 'PASS', 'kmemleak',
                      f'{len(leaks)} lines' if leaks else '')
        else:
            tally.add('FAIL', f'{kind}/{name}', 'setup failed')
    if args.killed:
        # It must at least have started its plan before the kill.
        tally.add('PASS' if 'start' in seen else 'FAIL', 'vm-started',
                  '' if 'start' in seen else 'killed before its plan began')
    else:
        tally.add('PASS' if 'done' in seen else 'FAIL', 'vm-finished',
                  '' if 'done' in seen else 'the VM died or timed out: see '
                  + os.path.join(args.outdir, 'console.log'))
    judge_log(tally, os.path.join(args.outdir, 'console.log'))


if __name__ == '__main__':
    main()
