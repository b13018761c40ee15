/**
 * The browser script of the docs page (plain ES2020, no dependencies): fetches the OpenAPI
 * document and renders it with DOM calls only — every text from the document goes through
 * `textContent`, never `innerHTML`, so a summary cannot inject markup.
 */
export const DOCS_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var root = document.getElementById('app');
  var specUrl = root.getAttribute('data-spec');
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }
  function resolve(doc, schema, depth) {
    if (!schema || typeof schema !== 'object' || depth > 8) return schema;
    if (typeof schema.$ref === 'string' && schema.$ref.indexOf('#/components/schemas/') === 0) {
      var name = decodeURIComponent(schema.$ref.slice(21));
      var target = doc.components && doc.components.schemas && doc.components.schemas[name];
      return target ? { title: name, ref: schema.$ref, schema: target } : schema;
    }
    return schema;
  }
  function schemaText(doc, schema) {
    var seen = [];
    return JSON.stringify(schema, function (key, value) {
      if (value && typeof value === 'object' && typeof value.$ref === 'string') {
        var r = resolve(doc, value, 0);
        if (r && r.schema && seen.indexOf(r.ref) === -1) { seen.push(r.ref); return r.schema; }
      }
      return value;
    }, 2);
  }
  function exampleOf(doc, schema, depth) {
    schema = schema && schema.$ref ? (resolve(doc, schema, 0) || {}).schema : schema;
    if (!schema || typeof schema !== 'object' || depth > 4) return null;
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    if (schema.anyOf || schema.oneOf) return exampleOf(doc, (schema.anyOf || schema.oneOf)[0], depth + 1);
    var type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'object' || schema.properties) {
      var out = {};
      var props = schema.properties || {};
      for (var k in props) out[k] = exampleOf(doc, props[k], depth + 1);
      return out;
    }
    if (type === 'array') return [exampleOf(doc, schema.items, depth + 1)];
    if (type === 'integer' || type === 'number') return schema.minimum !== undefined ? schema.minimum : 0;
    if (type === 'boolean') return true;
    if (type === 'string') return schema.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : schema.format === 'email' ? 'user@example.com' : 'string';
    return null;
  }
  function tryIt(doc, path, method, op) {
    var form = el('form', 'try');
    var params = op.parameters || [];
    var inputs = [];
    params.forEach(function (p) {
      var label = el('label', null, p.name + ' (' + p['in'] + (p.required ? ', required' : '') + ')');
      var input = el('input');
      input.name = p.name;
      input.setAttribute('data-in', p['in']);
      var ex = exampleOf(doc, p.schema, 0);
      if (p['in'] === 'path' && ex !== null) input.value = String(ex);
      inputs.push(input);
      add(form, add(label, input));
    });
    var body = null;
    var files = null;
    var fileField = null;
    var content = (op.requestBody && op.requestBody.content) || {};
    if (content['application/json']) {
      body = el('textarea', 'body');
      body.rows = 6;
      body.value = JSON.stringify(exampleOf(doc, content['application/json'].schema, 0), null, 2);
      add(form, add(el('label', null, 'JSON body'), body));
    } else if (content['multipart/form-data']) {
      // An upload route: its fields are not described, so the form field's name is asked for.
      fileField = el('input', 'file-field');
      fileField.value = 'file';
      files = el('input', 'files');
      files.type = 'file';
      files.multiple = true;
      add(form, add(el('label', null, 'File field'), fileField), add(el('label', null, 'Files (multipart/form-data)'), files));
    }
    var token = null;
    if (op.security && op.security.length) {
      token = el('input');
      token.placeholder = 'Bearer token';
      add(form, add(el('label', null, 'Authorization'), token));
    }
    var button = el('button', null, 'Send');
    button.type = 'submit';
    var result = el('pre', 'result');
    add(form, button, result);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var url = path;
      var query = new URLSearchParams();
      inputs.forEach(function (input) {
        var where = input.getAttribute('data-in');
        if (where === 'path') url = url.split('{' + input.name + '}').join(encodeURIComponent(input.value));
        else if (where === 'query' && input.value !== '') query.append(input.name, input.value);
      });
      var qs = query.toString();
      var base = (doc.servers && doc.servers[0] && doc.servers[0].url) || '';
      if (base.charAt(0) !== '/') base = '';
      var init = { method: method.toUpperCase(), headers: {} };
      if (body) { init.body = body.value; init.headers['content-type'] = 'application/json'; }
      if (files) {
        var data = new FormData();
        for (var i = 0; i < files.files.length; i++) data.append(fileField.value || 'file', files.files[i]);
        init.body = data; // the browser writes the multipart content-type and its boundary
      }
      if (token && token.value) init.headers.authorization = 'Bearer ' + token.value;
      // Behind CSRFProtection, an unsafe request echoes the csrftoken cookie, as a page's own script would.
      var csrf = /(?:^|;\s*)csrftoken=([^;]*)/.exec(document.cookie);
      if (csrf && !/^(GET|HEAD|OPTIONS)$/.test(init.method)) init.headers['x-csrf-token'] = decodeURIComponent(csrf[1]);
      result.textContent = '…';
      fetch(base + url + (qs ? '?' + qs : ''), init).then(function (res) {
        return res.text().then(function (text) { result.textContent = res.status + ' ' + res.statusText + '\n\n' + text; });
      }, function (err) { result.textContent = String(err); });
    });
    return form;
  }
  function operation(doc, path, method, op) {
    var box = el('details', 'op op-' + method);
    box.id = 'op-' + op.operationId;
    var head = el('summary');
    add(head, el('span', 'method', method.toUpperCase()), el('code', 'path', path), op.summary ? el('span', 'summary', op.summary) : null);
    if (op.deprecated) { box.className += ' deprecated'; add(head, el('span', 'badge', 'deprecated')); }
    if (op.security && op.security.length) add(head, el('span', 'lock', 'auth'));
    add(box, head);
    if (op.description) add(box, el('p', 'description', op.description));
    add(box, el('p', 'opid', 'operationId: ' + op.operationId));
    if (op.parameters && op.parameters.length) {
      var table = el('table', 'params');
      add(table, add(el('tr'), el('th', null, 'Name'), el('th', null, 'In'), el('th', null, 'Required'), el('th', null, 'Schema')));
      op.parameters.forEach(function (p) {
        add(table, add(el('tr'), el('td', null, p.name), el('td', null, p['in']), el('td', null, p.required ? 'yes' : 'no'), add(el('td'), el('code', null, JSON.stringify(p.schema)))));
      });
      add(box, el('h4', null, 'Parameters'), table);
    }
    if (op.requestBody) {
      add(box, el('h4', null, 'Request body'));
      var content = op.requestBody.content || {};
      for (var type in content) add(box, el('div', 'media', type), el('pre', 'schema', schemaText(doc, content[type].schema)));
    }
    add(box, el('h4', null, 'Responses'));
    for (var status in op.responses) {
      var r = op.responses[status];
      var line = add(el('div', 'response'), el('strong', 'status', status), el('span', null, ' ' + r.description));
      add(box, line);
      if (r.content) for (var t in r.content) add(box, el('pre', 'schema', schemaText(doc, r.content[t].schema)));
    }
    if (op.security && op.security.length) add(box, el('p', 'security', 'Security: ' + op.security.map(function (s) { return Object.keys(s).join(' + '); }).join(' or ')));
    add(box, el('h4', null, 'Try it'), tryIt(doc, path, method, op));
    return box;
  }
  function render(doc) {
    root.textContent = '';
    document.title = (doc.info && doc.info.title ? doc.info.title : 'API') + ' – reference';
    var header = add(el('header'), el('h1', null, doc.info.title), el('span', 'version', doc.info.version));
    if (doc.info.description) add(header, el('p', null, doc.info.description));
    add(root, header);
    var groups = {};
    var order = (doc.tags || []).map(function (t) { return t.name; });
    var methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];
    Object.keys(doc.paths || {}).forEach(function (path) {
      var item = doc.paths[path];
      methods.forEach(function (m) {
        if (!item[m]) return;
        var tags = item[m].tags && item[m].tags.length ? [item[m].tags[0]] : ['default'];
        tags.forEach(function (tag) {
          if (!groups[tag]) { groups[tag] = []; if (order.indexOf(tag) === -1) order.push(tag); }
          groups[tag].push([path, m, item[m]]);
        });
      });
    });
    var nav = el('nav');
    var main = el('main');
    order.forEach(function (tag) {
      if (!groups[tag]) return;
      var section = el('section', 'tag');
      section.id = 'tag-' + tag;
      var info = (doc.tags || []).filter(function (t) { return t.name === tag; })[0];
      add(section, el('h2', null, tag));
      if (info && info.description) add(section, el('p', null, info.description));
      var link = el('a', null, tag + ' (' + groups[tag].length + ')');
      link.href = '#tag-' + tag;
      add(nav, link);
      groups[tag].forEach(function (entry) { add(section, operation(doc, entry[0], entry[1], entry[2])); });
      add(main, section);
    });
    add(root, add(el('div', 'layout'), nav, main));
    root.setAttribute('data-ready', 'true');
  }
  fetch(specUrl, { headers: { accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
    .then(render)
    .catch(function (err) { root.textContent = 'Could not load the OpenAPI document: ' + err.message; root.setAttribute('data-ready', 'error'); });
})();
`;
