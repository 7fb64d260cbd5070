/**
 * The bridge between a plugin and the host, installed in each invocation's fresh context BEFORE the plugin's
 * module is evaluated. This file is evaluated INSIDE the isolate (never imported by Node): the worker compiles
 * it once per isolate and calls it with one host reference, `hostCall(name, argsJson) → Promise<string>`.
 *
 * Everything the plugin could tamper with afterwards (JSON, Promise.prototype.then, String.prototype.slice,
 * Reflect) is captured here, first, and only the captured versions are used later. `hostCall` stays in this
 * closure: it is never stored on an object or passed to a function the plugin could reach, and the prelude
 * is strict code, so V8 hides its functions and receivers from stack-frame inspection.
 *
 * Everything that looks at the plugin's values (serialising the input and output, reading a thrown error's
 * message) happens here, under the isolate's limits. Only strings cross back to the worker:
 * 'o' + outputJson, or 'e' + JSON of { code, message }.
 *
 * @param {{ apply: Function }} hostCall an isolated-vm Reference to the worker's call handler
 */
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the worker evaluates this file as one expression
(function installPluginBridge(hostCall) {
  'use strict';
  const apply = Reflect.apply;
  const referenceApply = hostCall.apply;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const freeze = Object.freeze;
  const setPrototypeOf = Object.setPrototypeOf;
  const hasOwn = Object.hasOwn;
  const PromiseConstructor = Promise;
  const promiseResolve = Promise.resolve;
  const promiseReject = Promise.reject;
  const then = Promise.prototype.then;
  const ErrorConstructor = Error;
  const TypeErrorConstructor = TypeError;
  const StringConstructor = String;
  const slice = String.prototype.slice;
  const charCodeAt = String.prototype.charCodeAt;
  const MAX_MESSAGE_CHARS = 1000;
  // Null prototypes: isolated-vm reads options it was not given from Object.prototype otherwise.
  const CALL_OPTIONS = freeze({
    __proto__: null,
    arguments: freeze({ __proto__: null, copy: true }),
    result: freeze({ __proto__: null, promise: true, copy: true }),
  });
  const TOO_LARGE = freeze({});
  const NOT_JSON = freeze({});

  // Its memory is not counted by the isolate's limit.
  delete globalThis.WebAssembly;

  function failure(code, message) {
    // A null prototype: the plugin may have put a toJSON on Object.prototype.
    return 'e' + stringify({ __proto__: null, code, message: apply(slice, message, [0, MAX_MESSAGE_CHARS]) });
  }

  function messageOf(error) {
    try {
      // Read once: a getter may answer differently the second time.
      const message = error !== null && typeof error === 'object' ? error.message : undefined;
      return typeof message === 'string' ? message : StringConstructor(error);
    } catch {
      return 'the tool threw a value that could not be read';
    }
  }

  function utf8Length(text) {
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = apply(charCodeAt, text, [i]);
      // A surrogate pair is 4 bytes: 2 for each half. JSON.stringify leaves no lone surrogate.
      bytes += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 2 : 3;
    }
    return bytes;
  }

  /** JSON of `value`, refusing what is not JSON and stopping early, by a lower bound of the size, past `maxBytes`. */
  function serialise(value, maxBytes) {
    let budget = maxBytes;
    const replacer = (key, item) => {
      budget -= key.length + 1;
      const type = typeof item;
      if (type === 'function' || type === 'symbol' || type === 'bigint') throw NOT_JSON;
      if (type === 'string') budget -= item.length + 2;
      if (budget < 0) throw TOO_LARGE;
      return item;
    };
    let json;
    try {
      json = stringify(value, replacer);
    } catch (error) {
      if (error === TOO_LARGE) return failure('output_too_large', 'the output is larger than ' + maxBytes + ' bytes');
      if (error === NOT_JSON) return failure('invalid_output', 'the output holds a function, symbol or BigInt');
      return failure('invalid_output', 'the output is not JSON: ' + messageOf(error));
    }
    if (json === undefined) json = 'null';
    if (json.length > maxBytes || (json.length * 3 > maxBytes && utf8Length(json) > maxBytes)) {
      return failure('output_too_large', 'the output is larger than ' + maxBytes + ' bytes');
    }
    return 'o' + json;
  }

  function buildContext(settings) {
    let calls = 0;
    const call = (name, args) => {
      let argsJson;
      try {
        // The list is ours: no toJSON the plugin put on Object.prototype applies to it (its values' own are theirs).
        argsJson = stringify(setPrototypeOf(args, null));
      } catch (error) {
        return apply(promiseReject, PromiseConstructor, [
          new TypeErrorConstructor('capability arguments must be JSON: ' + messageOf(error)),
        ]);
      }
      calls += 1;
      if (calls > settings.maxCalls) {
        return apply(promiseReject, PromiseConstructor, [new ErrorConstructor('more than ' + settings.maxCalls + ' capability calls')]);
      }
      if (argsJson.length > settings.maxArgBytes) {
        return apply(promiseReject, PromiseConstructor, [
          new ErrorConstructor('capability arguments larger than ' + settings.maxArgBytes + ' bytes'),
        ]);
      }
      const reply = apply(referenceApply, hostCall, [undefined, [name, argsJson], CALL_OPTIONS]);
      return apply(then, reply, [
        (text) => {
          if (text[0] === 'o') return parse(apply(slice, text, [1]));
          const refusal = parse(apply(slice, text, [1]));
          const error = new ErrorConstructor(refusal.message);
          error.code = refusal.code;
          throw error;
        },
      ]);
    };
    // A loop, not grants.indexOf: the plugin's module has run by now and may have replaced Array.prototype's methods.
    const granted = (name) => {
      for (let i = 0; i < settings.grants.length; i++) if (settings.grants[i] === name) return true;
      return false;
    };
    const ctx = { invocation: freeze({ tool: settings.tool, conversationId: settings.conversationId }) };
    if (granted('conversation.read') || granted('conversation.post')) {
      const conversation = {};
      if (granted('conversation.read')) conversation.read = () => call('conversation.read', []);
      if (granted('conversation.post')) conversation.post = (text) => call('conversation.post', [text]);
      ctx.conversation = freeze(conversation);
    }
    if (granted('storage.get')) {
      ctx.storage = freeze({
        get: (key) => call('storage.get', [key]),
        set: (key, value) => call('storage.set', [key, value]),
        delete: (key) => call('storage.delete', [key]),
      });
    }
    if (granted('llm.complete')) ctx.llm = freeze({ complete: (request) => call('llm.complete', [request]) });
    if (granted('http.fetch')) ctx.http = freeze({ fetch: (url, init) => call('http.fetch', [url, init === undefined ? {} : init]) });
    if (granted('code.execute')) ctx.code = freeze({ execute: (request) => call('code.execute', [request]) });
    return freeze(ctx);
  }

  function findTool(namespace, name) {
    const plugin = namespace.default;
    const tools = plugin !== null && typeof plugin === 'object' ? plugin.tools : undefined;
    if (tools === null || typeof tools !== 'object')
      return { error: failure('plugin_invalid', 'the module has no default export { tools }') };
    // Own properties only: `constructor` or `__proto__` is not a tool.
    const tool = hasOwn(tools, name) ? tools[name] : undefined;
    if (typeof tool !== 'function') return { error: failure('tool_not_found', 'the plugin has no tool "' + name + '"') };
    return { tool, tools };
  }

  /** The one way in from the worker: always resolves to a string, never rejects with a plugin's value. */
  return function invoke(namespace, settingsJson, inputJson) {
    return new PromiseConstructor((resolve) => {
      try {
        const settings = parse(settingsJson);
        const found = findTool(namespace, settings.tool);
        if (found.error) return resolve(found.error);
        const output = apply(found.tool, found.tools, [parse(inputJson), buildContext(settings)]);
        apply(then, apply(promiseResolve, PromiseConstructor, [output]), [
          (value) => {
            try {
              resolve(serialise(value, settings.outputBytes));
            } catch (error) {
              resolve(failure('invalid_output', messageOf(error)));
            }
          },
          (error) => resolve(failure('tool_failed', messageOf(error))),
        ]);
      } catch (error) {
        resolve(failure('tool_failed', messageOf(error)));
      }
    });
  };
});
