// Renders the server's /openapi.json as a plain page (FastAPI's Swagger UI would load from a CDN).
'use strict';

(() => {
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function refName(schema) {
    if (!schema) return '';
    if (schema.$ref) return schema.$ref.split('/').pop();
    if (schema.anyOf) return schema.anyOf.map(refName).join(' | ');
    if (schema.type === 'array') return `${refName(schema.items)}[]`;
    return schema.type || '';
  }

  function schemaTable(name, schema) {
    const rows = Object.entries(schema.properties || {}).map(([prop, s]) =>
      el('tr', {}, el('td', {}, el('code', {}, prop)), el('td', {}, refName(s)),
        el('td', {}, (schema.required || []).includes(prop) ? 'required' : '')));
    return el('div', { class: 'op' }, el('h3', {}, name),
      el('table', {}, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'type'), el('th', {}, '')), ...rows));
  }

  function operation(path, method, op) {
    const params = (op.parameters || []).map((p) => {
      const s = p.schema || {};
      const limits = [s.minimum !== undefined ? `>= ${s.minimum}` : '', s.maximum !== undefined ? `<= ${s.maximum}` : '']
        .filter(Boolean).join(', ');
      return el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in),
        el('td', {}, refName(s) + (limits ? ` (${limits})` : '')),
        el('td', {}, s.default !== undefined && s.default !== null ? JSON.stringify(s.default) : ''),
        el('td', {}, p.description || ''));
    });
    const body = op.requestBody
      ? el('p', {}, 'Body: ', el('code', {}, Object.keys(op.requestBody.content || {}).join(', ')),
        op.requestBody.description ? ` (${op.requestBody.description})` : '')
      : null;
    const responses = Object.entries(op.responses || {}).map(([code, r]) => {
      const content = r.content && r.content['application/json'];
      return el('tr', {}, el('td', {}, code), el('td', {}, r.description || ''),
        el('td', {}, content ? refName(content.schema) : ''));
    });
    return el('div', { class: 'op' },
      el('div', {}, el('span', { class: 'method' }, method.toUpperCase()), el('code', {}, path), ' ', op.summary || ''),
      op.description ? el('p', {}, op.description) : null,
      params.length ? el('table', {}, el('tr', {}, ...['parameter', 'in', 'type', 'default', ''].map((h) => el('th', {}, h))),
        ...params) : null,
      body,
      el('table', {}, el('tr', {}, el('th', {}, 'status'), el('th', {}, 'meaning'), el('th', {}, 'body')), ...responses));
  }

  async function render() {
    const target = document.getElementById('http');
    try {
      const response = await fetch('/openapi.json');
      const spec = await response.json();
      target.replaceChildren(el('h2', {}, `HTTP API ${spec.info.version}`), el('p', {}, spec.info.description || ''));
      for (const [path, methods] of Object.entries(spec.paths || {})) {
        for (const [method, op] of Object.entries(methods)) target.append(operation(path, method, op));
      }
      const schemas = (spec.components && spec.components.schemas) || {};
      target.append(el('h2', {}, 'Schemas'));
      for (const [name, schema] of Object.entries(schemas)) {
        if (schema.properties) target.append(schemaTable(name, schema));
      }
    } catch (err) {
      target.replaceChildren(el('p', {}, `Could not load /openapi.json: ${err}`));
    }
  }

  render();
})();
