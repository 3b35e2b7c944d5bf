'use strict';
// Hearth's Node.js worker: one long-lived process that runs one function version.
//
// Started by the daemon as `/usr/bin/node --preserve-symlinks /runtimes/nodejs/worker.js` and spoken
// to over fd 3 with the frames described in ../PROTOCOL.md: it says `hello`, receives one `load`
// (the function's code directory, as a descriptor, and its entry), then answers each `invoke` with
// one `result`. Each call's stdout and stderr arrive as descriptors with its `invoke` and are on
// fds 1 and 2 for the call only. Node can neither receive descriptors nor dup2, so the small N-API
// addon hearth_fds.node (fds.c, built by `make build`) does those.
//
// --preserve-symlinks: the code is reached through /proc/self/fd/<n>, a link to a directory
// outside the sandbox's root; require must not resolve it to that unreachable path.
//
// No npm packages. The worker is on the hot path of every execution, so an invocation costs one
// JSON.parse, the call, one JSON.stringify and one socket write.

const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');

const descriptors = require(path.join(__dirname, 'hearth_fds.node'));

const FRAME_FD = 3;
const MAX_FRAME = 64 << 20;
const RUNTIME = process.env.HEARTH_RUNTIME || 'nodejs';

// The worker's own stdout and stderr, put back on 1 and 2 after each call.
const OWN_OUTPUT = [descriptors.dup(1), descriptors.dup(2)];
// Create the stdio streams now, on the worker's own pipes: created during a call, they would make
// the call's pipe non-blocking for every process that shares it.
void process.stdout;
void process.stderr;

// Set by `load`: the function wrapped in its calling convention, or why loading failed.
let callFunction = null;
let loadError = null;
// The invocation waiting for its result, so that an error thrown asynchronously (a timer, an
// unhandled rejection) can be reported as that invocation's failure.
let current = null;

// ---- frames --------------------------------------------------------------------------------

// Writes one frame whose header is the JSON text `header` (the worker never sends a blob).
// Blocking: fd 3 is blocking, and the daemon reads every frame.
function writeFrame(header) {
  const length = Buffer.byteLength(header);
  const frame = Buffer.allocUnsafe(8 + length);
  frame.writeUInt32BE(length + 4, 0);
  frame.writeUInt32BE(length, 4);
  frame.write(header, 8);
  try {
    for (let sent = 0; sent < frame.length;) sent += fs.writeSync(FRAME_FD, frame, sent);
  } catch (error) {
    if (error.code === 'EPIPE' || error.code === 'ECONNRESET') process.exit(0); // the daemon let go
    throw error;
  }
}

// Reassembles frames from the stream. Chunks are kept in a list and joined only when a frame
// spans several of them, so a large frame is copied once rather than once per chunk.
const chunks = [];
let buffered = 0;
let frameLength = -1; // the frame whose prefix has been read, or -1 while waiting for a prefix
let headerLength = 0;
// Descriptors in the order they arrived; each frame takes as many as its "fds" says.
const received = [];
// Frames read but not yet handled: a frame waits while an invocation is in progress.
const frames = [];
let busy = false;

function take(count) {
  if (chunks[0].length < count) {
    const joined = Buffer.concat(chunks, buffered);
    chunks.length = 0;
    chunks.push(joined);
  }
  const first = chunks[0];
  const taken = first.subarray(0, count);
  if (first.length === count) chunks.shift();
  else chunks[0] = first.subarray(count);
  buffered -= count;
  return taken;
}

// fd 3 is readable: read what is waiting, with the descriptors that came with it.
function onReadable() {
  for (;;) {
    let got;
    try {
      got = descriptors.recvmsg(FRAME_FD);
    } catch (error) {
      if (error.code === 'ECONNRESET') process.exit(0);
      protocolError(error.message);
    }
    if (got === null) return;
    received.push(...got.fds);
    // End-of-file on fd 3: the daemon let go of this worker.
    if (got.data.length === 0) process.exit(0);
    onData(got.data);
  }
}

function onData(chunk) {
  chunks.push(chunk);
  buffered += chunk.length;
  for (;;) {
    if (frameLength < 0) {
      if (buffered < 8) break;
      const prefix = take(8);
      frameLength = prefix.readUInt32BE(0);
      headerLength = prefix.readUInt32BE(4);
      if (frameLength < 4 || headerLength > frameLength - 4 || frameLength > MAX_FRAME) {
        protocolError(`bad frame lengths ${frameLength}/${headerLength}`);
      }
    }
    if (buffered < frameLength - 4) break;
    const body = take(frameLength - 4);
    frameLength = -1;
    let message;
    try {
      message = JSON.parse(body.toString('utf8', 0, headerLength));
    } catch (error) {
      protocolError(`the frame's header is not JSON: ${error.message}`);
    }
    const count = message.fds || 0;
    if (count > received.length) {
      protocolError(`the frame announces ${count} descriptors, ${received.length} arrived`);
    }
    frames.push({ message, fds: received.splice(0, count) });
  }
  handleFrames();
}

function handleFrames() {
  while (!busy && frames.length > 0) {
    const { message, fds } = frames.shift();
    if (message.type === 'invoke') invoke(message, fds);
    else if (message.type === 'load') load(message, fds);
    else protocolError(`unexpected message type ${JSON.stringify(message.type)}`);
  }
}

function protocolError(reason) {
  fs.writeSync(2, `hearth worker: protocol error: ${reason}\n`);
  process.exit(2);
}

// The worker cannot go on (its own output is gone, say): the daemon reports the exit and
// replaces it.
function fatal(reason) {
  try {
    fs.writeSync(2, `hearth worker: ${reason}\n`);
  } finally {
    process.exit(1);
  }
}

// ---- the call's output ---------------------------------------------------------------------

// Calls `then` once everything written to process.stdout and process.stderr is in its pipe.
// Writes to a pipe the reader has not emptied yet wait in the stream: they must reach the pipe
// that was on fd 1 or 2 when they were made, before another is put there.
function whenWritten(then) {
  const waiting = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  let left = waiting.length;
  if (left === 0) {
    then();
    return;
  }
  for (const stream of waiting) {
    // An empty write completes after the ones before it.
    stream.write('', () => {
      if (--left === 0) then();
    });
  }
}

// Puts a call's stdout and stderr (the invoke's two descriptors) on fds 1 and 2: output of child
// processes and of native code goes to the call's pipe too.
function beginCall(fds) {
  if (fds.length === 0) return;
  try {
    descriptors.dup2(fds[0], 1);
    descriptors.dup2(fds[1], 2);
    descriptors.close(fds[0]);
    descriptors.close(fds[1]);
  } catch (error) {
    fatal(`cannot put the call's output on fds 1 and 2: ${error.message}`);
  }
}

// Gives fds 1 and 2 back to the worker: from now on nothing the function left behind writes to
// the call's pipe through them, so the daemon's read of it ends.
function endCall() {
  try {
    descriptors.dup2(OWN_OUTPUT[0], 1);
    descriptors.dup2(OWN_OUTPUT[1], 2);
  } catch (error) { // the function closed the worker's saved descriptors
    fatal(`cannot put its own output back on fds 1 and 2: ${error.message}`);
  }
}

// ---- errors --------------------------------------------------------------------------------

function isError(value) {
  return value !== null && typeof value === 'object' && typeof value.message === 'string';
}

// What a user sees as the output of a failed call: the error's message, else the value as text.
function errorMessage(value) {
  if (isError(value)) return value.message || value.name || 'Error';
  try {
    return String(value);
  } catch {
    return 'Error';
  }
}

function printError(value) {
  const text = isError(value) && typeof value.stack === 'string' ? value.stack : `Uncaught ${errorMessage(value)}`;
  process.stderr.write(`${text}\n`);
}

// ---- load ----------------------------------------------------------------------------------

function load(message, fds) {
  if (fds.length !== 1) protocolError(`load carries ${fds.length} descriptors, expected the code directory`);
  let reply;
  if (callFunction !== null || loadError !== null) {
    descriptors.close(fds[0]);
    reply = { type: 'loaded', ok: false, error: 'this worker is already loaded' };
  } else {
    try {
      // FunctionGraph user_data: set before the require, since module code may read it.
      Object.assign(process.env, message.environment || {});
      const makeCall = CONVENTIONS[message.convention];
      if (makeCall === undefined) {
        throw new Error(`unknown calling convention ${JSON.stringify(message.convention)}`);
      }
      // The code directory stays open for the worker's life: modules may require more later.
      callFunction = makeCall(resolve(`/proc/self/fd/${fds[0]}`, message.entry || ''));
      reply = { type: 'loaded', ok: true };
    } catch (error) {
      printError(error);
      loadError = errorMessage(error);
      reply = { type: 'loaded', ok: false, error: loadError };
    }
  }
  // What the load printed (a module's top-level output, an error's stack) first.
  busy = true;
  whenWritten(() => {
    writeFrame(JSON.stringify(reply));
    busy = false;
    handleFrames();
  });
}

// Requires the module of `module.function` (split at the last dot) under `codeDirectory` and
// returns the function.
function resolve(codeDirectory, entry) {
  const dot = entry.lastIndexOf('.');
  if (dot <= 0 || dot === entry.length - 1) {
    throw new Error(`invalid entry ${JSON.stringify(entry)}: expected module.function`);
  }
  const moduleName = entry.slice(0, dot);
  const name = entry.slice(dot + 1);
  const modulePath = path.join(codeDirectory, moduleName);
  let exports;
  try {
    exports = require(modulePath);
  } catch (error) {
    // Node's message names the absolute path and the worker's require stack; the user only
    // needs to know which of their modules is missing. A missing dependency keeps its message.
    if (error.code === 'MODULE_NOT_FOUND' && error.message.startsWith(`Cannot find module '${modulePath}'`)) {
      throw new Error(`Cannot find module '${moduleName}'`);
    }
    throw error;
  }
  const fn = exports[name];
  if (fn === undefined) throw new Error(`module '${moduleName}' does not export '${name}'`);
  if (typeof fn !== 'function') throw new Error(`'${entry}' is not a function`);
  return fn;
}

// ---- calling conventions -------------------------------------------------------------------
// Each builder runs once at load and returns call(message, start) for the hot path.

function remainingMilliseconds(deadline) {
  return Math.max(0, Math.floor(deadline - performance.now()));
}

// The context of a Qinling function: plain data, plus a method on the prototype so that
// JSON.stringify(context) shows only the data.
class QinlingContext {
  #deadline;

  constructor(message, start) {
    this.execution_id = message.execution_id;
    this.function_id = message.function_id;
    this.function_version = message.version;
    this.timeout = message.timeout;
    this.#deadline = start + (message.timeout || 0) * 1000;
  }

  getRemainingTimeInMilliSeconds() {
    return remainingMilliseconds(this.#deadline);
  }
}

// context.getLogger(): lines `<UTC time> <request id> <LEVEL> <message>` on stdout.
class FunctionGraphLogger {
  #requestId;

  constructor(requestId) {
    this.#requestId = requestId;
  }

  #log(level, args) {
    process.stdout.write(`${new Date().toISOString()} ${this.#requestId} ${level} ${util.format(...args)}\n`);
  }

  debug(...args) { this.#log('DEBUG', args); }
  info(...args) { this.#log('INFO', args); }
  warn(...args) { this.#log('WARN', args); }
  error(...args) { this.#log('ERROR', args); }
}

// The context of handler(event, context), with FunctionGraph's methods. Descriptive values the
// protocol does not carry come from the environment names FunctionGraph's runtime uses
// (RUNTIME_FUNC_NAME, RUNTIME_MEMORY, ...), with defaults that fit a local daemon. Credentials
// are never given to functions: the key and token getters return "".
class FunctionGraphContext {
  #requestId;
  #functionId;
  #version;
  #timeout;
  #deadline;

  constructor(message, start) {
    this.#requestId = message.execution_id;
    this.#functionId = message.function_id;
    this.#version = message.version;
    this.#timeout = message.timeout || 0;
    this.#deadline = start + this.#timeout * 1000;
  }

  getRequestID() { return this.#requestId; }
  getRemainingTimeInMilliSeconds() { return remainingMilliseconds(this.#deadline); }
  getRunningTimeInSeconds() { return Math.floor(this.#timeout); }
  getUserData(key, defaultValue) { return key in process.env ? process.env[key] : defaultValue; }
  getFunctionName() { return process.env.RUNTIME_FUNC_NAME || this.#functionId; }
  // FunctionGraph's `latest` is Qinling's version 0.
  getVersion() { return process.env.RUNTIME_FUNC_VERSION || (this.#version ? String(this.#version) : 'latest'); }
  getAlias() { return process.env.RUNTIME_FUNC_ALIAS || ''; }
  getMemorySize() { return Number(process.env.RUNTIME_MEMORY) || 128; }
  getCPUNumber() { return Number(process.env.RUNTIME_CPU) || os.availableParallelism(); }
  getProjectID() { return process.env.RUNTIME_PROJECT_ID || ''; }
  getPackage() { return process.env.RUNTIME_PACKAGE || 'default'; }
  getLogger() { return new FunctionGraphLogger(this.#requestId); }
  getAccessKey() { return ''; }
  getSecretKey() { return ''; }
  getSecurityAccessKey() { return ''; }
  getSecuritySecretKey() { return ''; }
  getToken() { return ''; }
  getSecurityToken() { return ''; }
}

const CONVENTIONS = {
  // handler(context, input)
  qinling: (fn) => (message, start) => fn(new QinlingContext(message, start), message.input),
  // handler(event, context)
  functiongraph: (fn) => (message, start) => fn(message.input, new FunctionGraphContext(message, start)),
};

// ---- invoke --------------------------------------------------------------------------------

function invoke(message, fds) {
  // No descriptors (a daemon that sends none): the output stays on the worker's own pipes.
  if (fds.length !== 2 && fds.length !== 0) {
    protocolError(`invoke carries ${fds.length} descriptors, expected stdout and stderr`);
  }
  if (callFunction === null) {
    for (const fd of fds) descriptors.close(fd);
    writeFrame(JSON.stringify({
      type: 'result', ok: false, error_type: 'exception',
      output: loadError || 'no function is loaded', duration: 0,
    }));
    return;
  }
  // No other frame is handled until the result is sent: the call may take many turns of the
  // event loop (promises, timers), and fds 1 and 2 are the call's until then.
  busy = true;
  whenWritten(() => {
    beginCall(fds);
    call(message, fds.length > 0);
  });
}

function call(message, callOutput) {
  const invocation = { start: performance.now(), done: false, callOutput };
  current = invocation;
  let returned;
  try {
    returned = callFunction(message, invocation.start);
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')
        && typeof returned.then === 'function') {
      returned.then((value) => finish(invocation, true, value), (error) => finish(invocation, false, error));
      return;
    }
  } catch (error) {
    finish(invocation, false, error);
    return;
  }
  finish(invocation, true, returned);
}

// Sends the invocation's one result, once what the call printed is in its pipe; later outcomes
// (a second settlement, an async error after the result) are ignored.
function finish(invocation, ok, value) {
  if (invocation.done) return;
  invocation.done = true;
  if (current === invocation) current = null;
  const answer = result(ok, value, (performance.now() - invocation.start) / 1000);
  whenWritten(() => {
    if (invocation.callOutput) endCall();
    writeFrame(answer);
    busy = false;
    handleFrames();
  });
}

// The `result` frame's header for a call that returned (ok) or threw `value`.
function result(ok, value, duration) {
  if (!ok) {
    printError(value);
    return JSON.stringify({ type: 'result', ok: false, error_type: 'exception', output: errorMessage(value), duration });
  }
  let output;
  let problem;
  try {
    // undefined is null; a function or symbol has no JSON form (stringify returns undefined).
    output = value === undefined ? 'null' : JSON.stringify(value);
    if (output === undefined) problem = `a ${typeof value} has no JSON form`;
  } catch (error) { // BigInt, circular structures, a throwing toJSON
    problem = errorMessage(error);
  }
  if (problem !== undefined) {
    return JSON.stringify({
      type: 'result', ok: false, error_type: 'unserializable',
      output: `The function returned a value that is not JSON serializable: ${problem}`, duration,
    });
  }
  // The output is already JSON text: splice it in rather than encoding it a second time.
  return `{"type":"result","ok":true,"output":${output},"duration":${duration}}`;
}

// Errors that escape the call's own stack: the invocation in progress failed. Between
// invocations nobody is waiting for them, so they are only printed; the worker keeps serving.
function onAsyncError(error) {
  if (current !== null) finish(current, false, error);
  else printError(error);
}

process.on('uncaughtException', onAsyncError);
process.on('unhandledRejection', onAsyncError);

descriptors.watch(FRAME_FD, onReadable);

writeFrame(JSON.stringify({ type: 'hello', runtime: RUNTIME, pid: process.pid }));
