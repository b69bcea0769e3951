/*! push.js - browser client for push-server (Pusher Channels protocol 7). No dependencies.
 *  var push = new Push({url: 'ws://host:6001', app_key: 'key', auth: '/subscribe/auth', channel_data: {...}});
 *  var ch = push.subscribe('presence-room'); ch.on('message', fn); ch.trigger('client-typing', {...});
 */
(function (root) {
  'use strict';

  function each(obj, fn) { for (var k in obj) if (Object.prototype.hasOwnProperty.call(obj, k)) fn(obj[k], k); }
  function parse(s) { if (typeof s !== 'string') return s; try { return JSON.parse(s); } catch (e) { return s; } }
  function log() { if (root.Push && root.Push.debug && root.console) root.console.log.apply(root.console, arguments); }

  function Emitter() { this._cb = {}; }
  Emitter.prototype.on = function (name, fn) { (this._cb[name] = this._cb[name] || []).push(fn); return this; };
  Emitter.prototype.off = function (name, fn) {
    if (!name) { this._cb = {}; return this; }
    this._cb[name] = fn ? (this._cb[name] || []).filter(function (f) { return f !== fn; }) : [];
    return this;
  };
  Emitter.prototype.emit = function (name, data, meta) {
    var list = (this._cb[name] || []).slice(), all = (this._cb['*'] || []).slice(), i;
    for (i = 0; i < list.length; i++) list[i].call(this, data, meta);
    for (i = 0; i < all.length; i++) all[i].call(this, name, data, meta);
  };

  // ---- presence members -------------------------------------------------------------------------------------
  function Members() { this.reset(); }
  Members.prototype.reset = function () { this.members = {}; this.count = 0; this.me = null; this.myID = null; };
  Members.prototype.get = function (id) { return this.members.hasOwnProperty(id) ? { id: id, info: this.members[id] } : null; };
  Members.prototype.each = function (fn) { each(this.members, function (info, id) { fn({ id: id, info: info }); }); };
  Members.prototype._set = function (presence, myData) {
    this.members = presence.hash || {};
    this.count = Object.keys(this.members).length;
    this.myID = myData ? String(myData.user_id) : null;
    this.me = this.myID !== null ? this.get(this.myID) : null;
  };
  Members.prototype._add = function (m) {
    var id = String(m.user_id), isNew = !this.members.hasOwnProperty(id);
    this.members[id] = m.user_info;
    if (isNew) this.count++;
    return isNew ? { id: id, info: m.user_info } : null;
  };
  Members.prototype._remove = function (m) {
    var id = String(m.user_id), member = this.get(id);
    if (member) { delete this.members[id]; this.count--; }
    return member;
  };

  // ---- channel ----------------------------------------------------------------------------------------------
  function Channel(name, push) {
    Emitter.call(this);
    this.name = name;
    this.push = push;
    this.subscribed = false;
    this._queue = [];
    this.type = name.indexOf('presence-') === 0 ? 'presence' : name.indexOf('private-') === 0 ? 'private' : 'public';
    if (this.type === 'presence') this.members = new Members();
  }
  Channel.prototype = Object.create(Emitter.prototype);
  Channel.prototype.bind = Channel.prototype.on;
  Channel.prototype.unbind = Channel.prototype.off;
  Channel.prototype.trigger = function (event, data) {
    if (typeof event !== 'string' || event.indexOf('client-') !== 0) {
      throw new Error("Event '" + event + "' is not a client event: its name must start with 'client-'");
    }
    if (this.type === 'public') throw new Error('Client events need a private or presence channel');
    if (!this.subscribed) { this._queue.push([event, data]); return true; } // sent once subscribed
    return this.push._send(event, data, this.name);
  };
  Channel.prototype._subscribe = function () {
    var self = this, push = this.push;
    if (this.type === 'public') { push._send('pusher:subscribe', { channel: this.name }); return; }
    push._authorize(this.name, function (err, auth) {
      if (push.channels[self.name] !== self || push.state !== 'connected') return;
      if (err) { self.emit('pusher:subscription_error', { type: 'AuthError', error: String(err) }); return; }
      var data = { channel: self.name, auth: auth.auth };
      if (auth.channel_data !== undefined) {
        data.channel_data = typeof auth.channel_data === 'string' ? auth.channel_data : JSON.stringify(auth.channel_data);
      }
      self._myData = data.channel_data ? parse(data.channel_data) : null;
      push._send('pusher:subscribe', data);
    });
  };
  Channel.prototype._handle = function (event, data) {
    if (event === 'pusher_internal:subscription_succeeded') {
      this.subscribed = true;
      if (this.members) this.members._set((data && data.presence) || {}, this._myData);
      this.emit('pusher:subscription_succeeded', this.members || data);
      var queued = this._queue;
      this._queue = [];
      for (var i = 0; i < queued.length; i++) this.push._send(queued[i][0], queued[i][1], this.name);
    } else if (event === 'pusher_internal:member_added' && this.members) {
      var added = this.members._add(data);
      if (added) this.emit('pusher:member_added', added);
    } else if (event === 'pusher_internal:member_removed' && this.members) {
      var removed = this.members._remove(data);
      if (removed) this.emit('pusher:member_removed', removed);
    } else {
      this.emit(event, data);
    }
  };

  // ---- connection -------------------------------------------------------------------------------------------
  function Push(options) {
    if (!(this instanceof Push)) return new Push(options);
    Emitter.call(this);
    options = options || {};
    if (!options.app_key) throw new Error('Push: app_key is required');
    this.options = options;
    this.channels = {};
    this.state = 'initialized';
    this.socket_id = null;
    this._attempts = 0;
    this.connect();
  }
  Push.prototype = Object.create(Emitter.prototype);
  Push.prototype.bind = Push.prototype.on;
  Push.prototype.unbind = Push.prototype.off;

  Push.prototype._setState = function (state, extra) {
    var previous = this.state;
    if (previous === state) return;
    this.state = state;
    log('push.js:', previous, '->', state);
    this.emit('state_change', { previous: previous, current: state });
    this.emit(state, extra);
  };

  Push.prototype._endpoint = function () {
    var url = this.options.url;
    if (!url) {
      var loc = root.location;
      url = (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host;
    }
    url = url.replace(/^http/, 'ws').replace(/\/+$/, '');
    return url + '/app/' + encodeURIComponent(this.options.app_key) + '?protocol=7&client=push.js&version=1.0';
  };

  Push.prototype.connect = function () {
    var self = this, ws;
    if (this._ws) return;
    this._closing = false;
    clearTimeout(this._retryTimer);
    this._setState('connecting');
    try { ws = new root.WebSocket(this._endpoint()); } catch (e) { this._retry(1000); return; }
    this._ws = ws;
    ws.onmessage = function (e) { self._activity(); self._onMessage(e.data); };
    ws.onclose = function (e) { if (self._ws === ws) self._onClose(e.code, e.reason); };
    ws.onerror = function () { self.emit('error', { type: 'WebSocketError' }); };
  };

  Push.prototype.disconnect = function () {
    this._closing = true;
    clearTimeout(this._retryTimer);
    this._stopTimers();
    var ws = this._ws;
    this._ws = null;
    if (ws) ws.close();
    each(this.channels, function (ch) { ch.subscribed = false; });
    this._setState('disconnected');
  };

  Push.prototype._onMessage = function (raw) {
    var msg = parse(raw);
    if (!msg || typeof msg !== 'object') return;
    var data = parse(msg.data);
    switch (msg.event) {
      case 'pusher:connection_established':
        this.socket_id = data.socket_id;
        this._activityTimeout = Math.min((data.activity_timeout || 120) * 1000,
          this.options.activity_timeout || this.options.heartbeat || 120000);
        this._attempts = 0;
        this._setState('connected', data);
        this._activity();
        each(this.channels, function (ch) { ch.subscribed = false; ch._subscribe(); });
        return;
      case 'pusher:ping':
        this._send('pusher:pong', {});
        return;
      case 'pusher:pong':
        this.emit('pong');
        return;
      case 'pusher:error':
        this.emit('error', data);
        return;
    }
    if (msg.channel && this.channels[msg.channel]) {
      if (msg.event === 'pusher:subscription_error' || msg.event === 'pusher_internal:subscription_error') {
        this.channels[msg.channel].emit('pusher:subscription_error', data);
        return;
      }
      this.channels[msg.channel]._handle(msg.event, data, msg);
    }
    this.emit('message', msg);
  };

  /** 4000-4099: do not reconnect; 4100-4199: reconnect after a delay; 4200-4299: reconnect at once. */
  Push.prototype._onClose = function (code, reason) {
    this._ws = null;
    this._stopTimers();
    this.socket_id = null;
    each(this.channels, function (ch) { ch.subscribed = false; });
    if (code >= 4000 && code < 4100) {
      this.emit('error', { type: 'PusherError', code: code, message: reason });
      this._setState('failed', { code: code, reason: reason });
      return;
    }
    if (this._closing) return;
    this._setState('unavailable', { code: code, reason: reason });
    if (code >= 4200 && code < 4300) this._retry(0);
    else if (code >= 4100 && code < 4200) this._retry(1000 + Math.random() * 1000);
    else this._retry(Math.min(1000 * Math.pow(2, this._attempts), 30000));
  };

  Push.prototype._retry = function (delay) {
    var self = this;
    this._attempts++;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(function () { self.connect(); }, delay);
  };

  /** Any message from the server resets the ping timer; after activity_timeout of silence we ping it. */
  Push.prototype._activity = function () {
    var self = this;
    clearTimeout(this._pingTimer);
    clearTimeout(this._pongTimer);
    if (this.state !== 'connected') return;
    this._pingTimer = setTimeout(function () {
      self._send('pusher:ping', {});
      self._pongTimer = setTimeout(function () {
        var ws = self._ws;
        if (ws) { self._onClose(4201, 'Pong reply not received'); ws.onclose = null; ws.close(); }
      }, self.options.pong_timeout || self.options.pingTimeout || 30000);
    }, this._activityTimeout);
  };
  Push.prototype._stopTimers = function () { clearTimeout(this._pingTimer); clearTimeout(this._pongTimer); };

  Push.prototype._send = function (event, data, channel) {
    if (!this._ws || this._ws.readyState !== 1) return false;
    var msg = { event: event, data: data };
    if (channel) msg.channel = channel;
    this._ws.send(JSON.stringify(msg));
    return true;
  };

  /** options.auth: the URL of an auth endpoint (form POST), or function(socketId, channelName, callback(err, auth)). */
  Push.prototype._authorize = function (channel, callback) {
    var auth = this.options.auth, socketId = this.socket_id, cd = this.options.channel_data;
    if (typeof auth === 'function') { auth(socketId, channel, callback); return; }
    if (!auth) { callback('no auth endpoint configured for ' + channel); return; }
    var params = { socket_id: socketId, channel_name: channel };
    if (cd && channel.indexOf('presence-') === 0) params.channel_data = typeof cd === 'string' ? cd : JSON.stringify(cd);
    each(this.options.auth_params || {}, function (v, k) { params[k] = v; });
    var body = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
    }).join('&');
    var xhr = new root.XMLHttpRequest();
    xhr.open('POST', auth, true);
    xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
    each(this.options.auth_headers || {}, function (v, k) { xhr.setRequestHeader(k, v); });
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var res = parse(xhr.responseText);
      if (xhr.status === 200 && res && res.auth) callback(null, res);
      else callback('auth endpoint answered ' + xhr.status + ': ' + xhr.responseText);
    };
    xhr.send(body);
  };

  Push.prototype.channel = function (name) { return this.channels[name] || null; };

  Push.prototype.subscribe = function (name) {
    var ch = this.channels[name];
    if (ch) return ch;
    ch = this.channels[name] = new Channel(name, this);
    if (this.state === 'connected') ch._subscribe();
    return ch;
  };

  Push.prototype.unsubscribe = function (name) {
    var ch = this.channels[name];
    if (!ch) return;
    delete this.channels[name];
    ch.subscribed = false;
    if (ch.members) ch.members.reset();
    this._send('pusher:unsubscribe', { channel: name });
  };

  Push.prototype.unsubscribeAll = function () {
    var self = this;
    each(this.channels, function (ch, name) { self.unsubscribe(name); });
  };

  Push.Channel = Channel;
  Push.Members = Members;
  if (typeof module === 'object' && module.exports) module.exports = Push;
  else root.Push = Push;
})(typeof window !== 'undefined' ? window : this);
