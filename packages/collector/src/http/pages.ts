// The answers that are not JSON records: Werkzeug 2.2's default pages (the upstream vectors pin
// them: validation/04, 50; v2.4.3-hprobe.response), and the one place that writes a response.
import http from 'node:http';

export const HTML_404 =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
  '<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';
export const HTML_405 =
  '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n' +
  '<p>The method is not allowed for the requested URL.</p>\n';
export const html302 = (location: string): string =>
  '<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n' +
  `<p>You should be redirected automatically to the target URL: <a href="${location}">${location}</a>. If not, click the link.\n`;
export const HTML_413 =
  '<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n' +
  '<p>The data value transmitted exceeds the capacity limit.</p>\n';

export const JSON_TYPE = 'application/json';
export const HTML_TYPE = 'text/html; charset=utf-8';

/** Writes a whole answer; reason phrases upper case as Werkzeug's ("201 CREATED"). */
export function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.statusMessage = (http.STATUS_CODES[status] ?? 'UNKNOWN').toUpperCase();
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
