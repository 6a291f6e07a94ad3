// SPDX-License-Identifier: MIT
// DOM building without HTML parsing. Every string a caller passes becomes a
// text node or a plain attribute value, so email content can never turn into
// markup: there is no innerHTML anywhere in the page.

const SVG_NS = 'http://www.w3.org/2000/svg';
// Attributes that could carry a script or fetch something are refused.
const BAD_ATTR = /^(on|style$|src$|href$|srcdoc$|formaction$|xlink:)/i;

function setAttrs(el, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'on') {
			for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
		} else if (k === 'class') {
			el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
		} else if (k === 'dataset') {
			Object.assign(el.dataset, v);
		} else if (k === 'route') {
			// internal links only: "#/..." built by the page, never from data
			el.setAttribute('href', '#/' + String(v).replace(/^#?\/?/, ''));
		} else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden' ||
			   k === 'selected' || k === 'open') {
			el[k] = v;
		} else if (BAD_ATTR.test(k)) {
			throw new Error('refused attribute ' + k);
		} else {
			el.setAttribute(k, v === true ? '' : String(v));
		}
	}
}

function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === undefined || c === null || c === false) continue;
		el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
	}
}

// h('tag#id.class', {attrs}, children...): an element; strings become text nodes.
export function h(spec, attrs, ...children) {
	// 'tag#id.class.class' (id and classes in any order)
	const m = /^([a-z0-9]*)((?:[#.][\w-]+)*)$/i.exec(spec);
	if (!m) throw new Error('bad element spec ' + spec);
	const el = document.createElement(m[1] || 'div');
	const classes = [];
	for (const part of m[2].match(/[#.][\w-]+/g) || []) {
		if (part[0] === '#') el.id = part.slice(1);
		else classes.push(part.slice(1));
	}
	if (classes.length) el.className = classes.join(' ');
	if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
		children.unshift(attrs);
		attrs = null;
	}
	setAttrs(el, attrs);
	if (attrs && attrs.class && classes.length) el.classList.add(...classes);
	append(el, children);
	return el;
}

// An SVG element; attribute values are numbers or page-made strings.
export function svg(tag, attrs, ...children) {
	const el = document.createElementNS(SVG_NS, tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (BAD_ATTR.test(k)) throw new Error('refused attribute ' + k);
		el.setAttribute(k, String(v));
	}
	append(el, children);
	return el;
}

export function text(s) {
	return document.createTextNode(s === undefined || s === null ? '' : String(s));
}

// One DOM operation for all the children (a draft view is thousands of
// nodes: removing them one by one was most of leaving it).
export function clear(el) {
	el.replaceChildren();
	return el;
}

export function replace(el, ...children) {
	clear(el);
	append(el, children);
	return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
