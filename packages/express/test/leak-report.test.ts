import { describeLeakReportHandler } from '@keyward/internal-testing'
import express, { type NextFunction, type Request, type Response } from 'express'
import { apiKeyAuth, leakReportHandler } from '../src/index.js'

describeLeakReportHandler({
	name: 'Express',
	appFor(keyward, options, hostJson) {
		const app = express()
		if (hostJson) app.use(express.json())
		app.all('/leaks', leakReportHandler(keyward, options))
		app.get('/api/hello', apiKeyAuth(keyward), (req, res) => {
			res.json({ owner: req.apiKey?.owner })
		})
		app.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
			res.status(500).json({ detail: 'host error handler' })
		})
		return app
	},
	handler: leakReportHandler,
})
