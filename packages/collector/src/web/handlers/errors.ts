import { html } from '../html.ts';
import { page } from '../layout.ts';
import { sendHtml } from '../respond.ts';
import type { Request } from '../router.ts';

export function notFound(r: Request, message = 'Not found.'): void {
  sendHtml(r.res, 404, page(r.ctx, '', 'Not found', html`<h1>Not found</h1><p>${message}</p>`));
}

export function badRequest(r: Request, message: string): void {
  sendHtml(
    r.res,
    400,
    page(r.ctx, '', 'Bad request', html`<h1>Bad request</h1><p class="error">${message}</p>`),
  );
}
