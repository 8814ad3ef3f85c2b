import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv, ErrorRenderer } from '../api/app-env.ts'
import { page } from './layout.tsx'
import { ErrorPage } from './pages/error-page.tsx'

/** The console's errors as pages, through the app's one `onError` (as the provider dialects do). */
export const renderHtmlError: ErrorRenderer = (c: Context, problem, headers) =>
  page(
    c,
    <ErrorPage status={problem.status} title={problem.title} detail={problem.detail} requestId={c.get('requestId')} principal={c.get('principal')} />,
    problem.status as 400,
    headers,
  )

export const htmlErrors = () =>
  createMiddleware<AppEnv>(async function htmlErrors(c, next) {
    c.set('errorRenderer', renderHtmlError)
    await next()
  })
