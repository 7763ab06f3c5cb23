import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { html, raw } from './html.ts';

test('interpolated strings are escaped, Html and raw are not', () => {
  const payload = '<script>alert("x")</script>&\'';
  assert.equal(
    html`<td>${payload}</td>`.text,
    '<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>',
  );
  assert.equal(html`<p>${html`<b>${'<i>'}</b>`}${raw('<hr>')}</p>`.text, '<p><b>&lt;i&gt;</b><hr></p>');
  assert.equal(html`${[1, 'a<', null, undefined, false]}`.text, '1a&lt;');
});

test('no interpolated string can open a tag or leave an attribute', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      const out = html`<a title="${s}">${s}</a>`.text;
      const inner = out.slice('<a title="'.length, out.length - '</a>'.length);
      assert.equal(/[<>"']/.test(inner.replace('">', '')), false);
    }),
  );
});
