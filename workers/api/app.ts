import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { consoleApp } from '../console/console-app.tsx'
import type { AppEnv } from './app-env.ts'
import { accessLog } from './middleware/access-log.ts'
import { auth } from './middleware/auth.ts'
import { bodyLimit } from './middleware/body-limit.ts'
import { demoSeed } from './middleware/demo-seed.ts'
import { dialectErrors } from './middleware/dialect-errors.ts'
import { rateLimit } from './middleware/rate-limit.ts'
import { ProblemError, problemResponse, problems } from './problem.ts'
import { batch } from './routes/batch.ts'
import { docs } from './routes/docs.ts'
import { health } from './routes/health.ts'
import { jobs } from './routes/jobs.ts'
import { openapi } from './routes/openapi.ts'
import { ossBodyLimit, ossDialect, renderOssError } from './routes/oss-dialect.ts'
import { qiniuDialect, qiniuErrors } from './routes/qiniu-dialect.ts'
import { schedules } from './routes/schedules.ts'

// Incoming request ids are echoed only when they look like ids, so logs cannot be injected.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function createApp() {
  const app = new Hono<AppEnv>()
  app.use(requestId({ generator: () => crypto.randomUUID() }))
  app.use(async (c, next) => {
    if (!REQUEST_ID.test(c.get('requestId'))) c.set('requestId', crypto.randomUUID())
    await next()
    c.header('X-Request-Id', c.get('requestId'))
  })
  app.use(accessLog())
  app.route('/healthz', health)
  app.route('/openapi.json', openapi)
  app.route('/docs', docs)
  app.use('/v1/*', auth(), rateLimit(), bodyLimit(), demoSeed())
  app.route('/v1/batch', batch)
  app.route('/v1/jobs', jobs)
  app.route('/v1/schedules', schedules)
  // The Qiniu batch dialect: errors (401s too) in Qiniu's {"error"} shape.
  app.use('/qiniu/*', dialectErrors(qiniuErrors), auth(), rateLimit(), bodyLimit(), demoSeed())
  app.route('/qiniu', qiniuDialect)
  // The OSS CreateJob dialect (§6): its errors, 401s included, in OSS's XML shape.
  app.use('/oss/*', dialectErrors(renderOssError), auth(), rateLimit(), ossBodyLimit(), bodyLimit())
  app.route('/oss', ossDialect)
  app.route('/', consoleApp)

  app.notFound((c) => (c.get('errorRenderer') ?? problemResponse)(c, problems.notFound('The route').problem, {}))
  app.onError((err, c) => {
    const render = c.get('errorRenderer') ?? problemResponse
    if (err instanceof ProblemError) {
      if (err.problem.status >= 500) logError(c.get('requestId'), err)
      return render(c, err.problem, err.headers)
    }
    if (err instanceof HTTPException && err.status < 500)
      return render(c, { status: err.status, code: 'BadRequest', title: err.message || 'Bad request' }, {})
    logError(c.get('requestId'), err)
    return render(c, problems.internal().problem, {})
  })
  return app
}

// Only the error's name and message are logged: never a header, a body, or a stack trace.
function logError(requestId: string | undefined, err: unknown) {
  const e = err instanceof Error ? err : new Error(String(err))
  const detail = err instanceof ProblemError ? err.problem.detail : e.message
  console.error(JSON.stringify({ level: 'error', msg: 'request failed', requestId, error: e.name, detail }))
}
