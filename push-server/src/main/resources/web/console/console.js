/* push-server debug console: plain script, no dependencies. Every value from the server is set as text. */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var MAX_ROWS = 500;
  var token = null, app = null, socket = null, poller = null, paused = false, retry = null, members = null;

  // a token passed as ?token= is kept in this tab and removed from the address bar (and the history)
  var params = new URLSearchParams(location.search);
  if (params.has('token')) {
    sessionStorage.setItem('console-token', params.get('token'));
    params.delete('token');
    var rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }

  function api(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + token } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch('/console/api' + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (r.status === 401) { lock('The admin token was refused.'); }
        return { status: r.status, json: json };
      });
    });
  }

  function state(text) { $('state').textContent = text; }

  function lock(message) {
    token = null;
    sessionStorage.removeItem('console-token');
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    clearInterval(poller);
    clearTimeout(retry);
    $('main').hidden = true;
    $('app-label').hidden = true;
    $('lock').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    state('locked');
  }

  function unlock(candidate) {
    token = candidate;
    api('GET', '/apps').then(function (r) {
      if (r.status !== 200) {
        if (r.status !== 401) { lock('The server answered ' + r.status + ': ' + (r.json.error || '')); }
        return;
      }
      sessionStorage.setItem('console-token', token);
      var select = $('app');
      select.textContent = '';
      r.json.apps.forEach(function (a) {
        var o = document.createElement('option');
        o.value = a.id;
        o.textContent = a.id + ' (key ' + a.key + ')' + (a.enabled ? '' : ' – disabled');
        select.appendChild(o);
      });
      var saved = sessionStorage.getItem('console-app');
      if (saved && r.json.apps.some(function (a) { return a.id === saved; })) { select.value = saved; }
      $('conn-note').textContent = r.json.cluster
        ? 'Cluster node ' + r.json.node + ': "cluster" counts every node.' : 'Single node.';
      $('login').hidden = true;
      $('main').hidden = false;
      $('app-label').hidden = false;
      $('lock').hidden = false;
      choose(select.value);
    });
  }

  function choose(id) {
    app = id;
    sessionStorage.setItem('console-app', id);
    $('log').tBodies[0].textContent = '';
    $('members-box').hidden = true;
    members = null;
    refresh();
    clearInterval(poller);
    poller = setInterval(refresh, 2000);
    connect();
  }

  function refresh() {
    if (!token || !app) { return; }
    var path = '/apps/' + encodeURIComponent(app);
    api('GET', path).then(function (r) {
      if (r.status !== 200) { return; }
      var c = r.json.connections;
      if (c.cluster === undefined) {
        $('connections').textContent = c.node;
        $('conn-note').textContent = 'On this node only: a cluster shares connection counts only for apps with '
          + 'max_connections.';
      } else {
        $('connections').textContent = c.cluster;
        $('conn-note').textContent = c.cluster === c.node ? c.node + ' on this node'
          : c.node + ' on this node, ' + c.cluster + ' in the cluster';
      }
      var body = $('channels').tBodies[0];
      body.textContent = '';
      r.json.channels.forEach(function (ch) {
        var tr = document.createElement('tr');
        if (ch.name.indexOf('presence-') === 0) {
          tr.className = 'presence';
          tr.title = 'Show members';
          tr.addEventListener('click', function () { members = ch.name; showMembers(); });
        }
        [ch.name, ch.subscription_count, ch.user_count === undefined ? '' : ch.user_count].forEach(function (v) {
          var td = document.createElement('td');
          td.textContent = v;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      $('channel-count').textContent = r.json.channels.length + (r.json.channels_truncated ? '+' : '');
      $('channels-note').textContent = r.json.channels_truncated ? 'Only the first channels are listed.' : '';
      if (members) { showMembers(); }
    });
  }

  function showMembers() {
    api('GET', '/apps/' + encodeURIComponent(app) + '/channels/' + encodeURIComponent(members) + '/members')
      .then(function (r) {
        if (r.status !== 200) { return; }
        $('members-box').hidden = false;
        $('members-channel').textContent = r.json.channel;
        var list = $('members');
        list.textContent = '';
        r.json.members.forEach(function (m) {
          var li = document.createElement('li');
          li.textContent = m.id + (m.info === undefined ? '' : ' ' + JSON.stringify(m.info));
          list.appendChild(li);
        });
      });
  }

  function connect() {
    if (socket) { socket.onclose = null; socket.close(); }
    clearTimeout(retry);
    $('feed-state').textContent = 'connecting…';
    var s = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/console/ws');
    socket = s;
    s.onopen = function () { s.send(JSON.stringify({ token: token, app: app })); };
    s.onmessage = function (m) {
      var e = JSON.parse(m.data);
      if (e.type === 'ready') { $('feed-state').textContent = 'live'; state('app ' + e.app); return; }
      if (!paused || e.type === 'dropped') { row(e); }
    };
    s.onclose = function (c) {
      if (socket !== s) { return; }
      socket = null;
      if (c.code === 1008) {
        $('feed-state').textContent = 'refused: ' + c.reason;
        return;
      }
      $('feed-state').textContent = 'disconnected, retrying…';
      retry = setTimeout(connect, 2000);
    };
  }

  function details(e) {
    var parts = [];
    if (e.event) { parts.push('event: ' + e.event); }
    if (e.user_id) { parts.push('user: ' + e.user_id); }
    if (e.socket_id) { parts.push('socket: ' + e.socket_id); }
    if (e.type === 'webhook_sent') {
      parts.push(e.url + ' → ' + (e.status ? e.status : 'no answer') + (e.error ? ' (' + e.error + ')' : ''));
      parts.push(e.events + ' event(s): ' + e.names);
    }
    if (e.type === 'dropped') { parts.push(e.count + ' events dropped: this console could not keep up'); }
    var text = parts.join('  ');
    if (e.data !== undefined) {
      text += '\n' + e.data + (e.data_length ? ' … (' + e.data_length + ' characters in all)' : '');
    }
    return text;
  }

  function row(e) {
    var body = $('log').tBodies[0];
    var tr = document.createElement('tr');
    tr.className = e.type;
    var time = e.time_ms ? new Date(e.time_ms).toLocaleTimeString() : new Date().toLocaleTimeString();
    [time, e.type, e.channel || '', details(e)].forEach(function (v) {
      var td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    });
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > MAX_ROWS) { body.deleteRow(body.rows.length - 1); }
  }

  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    unlock($('token').value);
    $('token').value = '';
  });
  $('lock').addEventListener('click', function () { lock(''); });
  $('app').addEventListener('change', function () { choose($('app').value); });
  $('pause').addEventListener('click', function () {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
  });
  $('clear').addEventListener('click', function () { $('log').tBodies[0].textContent = ''; });
  $('trigger').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var data = $('t-data').value;
    var parsed;
    try { parsed = data.trim() === '' ? {} : JSON.parse(data); } catch (x) {
      $('t-result').textContent = 'Data is not valid JSON: ' + x.message;
      return;
    }
    api('POST', '/apps/' + encodeURIComponent(app) + '/events',
      { channel: $('t-channel').value, event: $('t-event').value, data: JSON.stringify(parsed) })
      .then(function (r) {
        $('t-result').textContent = r.status === 200 ? 'Sent.' : 'Refused (' + r.status + '): ' + (r.json.error || '');
      });
  });

  var saved = sessionStorage.getItem('console-token');
  if (saved) { unlock(saved); } else { lock(''); }
}());
