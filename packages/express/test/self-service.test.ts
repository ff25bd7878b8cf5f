import {
	describeKeyManagementAttacks,
	describeKeyManagementOpenApi,
	describeKeyManagementRouter,
	type KeyRouterAdapter,
} from '@keyward/internal-testing'
import express, { type NextFunction, type Request, type Response } from 'express'
import { keyManagementRouter } from '../src/index.js'

const adapter: KeyRouterAdapter = {
	name: 'Express',
	appFor(keyward, policy, hostJson) {
		const app = express()
		if (hostJson) app.use(express.json())
		app.use('/account', keyManagementRouter(keyward, policy))
		app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
			res.status(500).json({ detail: 'host error handler', message: error.message })
		})
		return app
	},
	router: keyManagementRouter,
}

describeKeyManagementRouter(adapter)
describeKeyManagementAttacks(adapter)
describeKeyManagementOpenApi(adapter)
