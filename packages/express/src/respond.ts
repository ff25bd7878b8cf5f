import type { VerifyFailure } from '@keyward/core'
import { refusalBody } from '@keyward/core/adapter'
import type { Response } from 'express'

/** Answer a refusal as JSON `{ detail, code }` with the status and headers core chose. */
export function reject(res: Response, refusal: VerifyFailure): void {
	res.status(refusal.status).set(refusal.headers).json(refusalBody(refusal))
}
