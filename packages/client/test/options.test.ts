import { CredentialsFile, createClient, promptHidden, resolveApiKey } from '@keyward/client'
import { describe, expect, it } from 'vitest'

const refused = (pattern: RegExp) =>
	expect.objectContaining({
		name: 'KeywardClientError',
		code: 'invalid_option',
		message: expect.stringMatching(pattern),
	})

describe('options of @keyward/client', () => {
	it('createClient refuses a misspelt option, including nested retry and lock options', () => {
		const base = { baseUrl: 'https://api.example', apiKey: 'kw_x' }
		expect(() => createClient({ ...base, envvar: 'X' } as never)).toThrow(
			refused(/^Unknown option "envvar" in createClient options \(did you mean "envVar"\?\)$/),
		)
		expect(() => createClient({ ...base, retry: { retry: 1 } } as never)).toThrow(
			refused(/"retry" in retry options \(did you mean "retries"\?\)/),
		)
		expect(() => createClient(null as never)).toThrow(refused(/expects an options object/))
	})

	it('resolveApiKey, CredentialsFile and promptHidden refuse theirs', async () => {
		await expect(resolveApiKey({ envVar: 'X', profil: 'a' } as never)).rejects.toEqual(
			refused(/"profil" in resolveApiKey options \(did you mean "profile"\?\)/),
		)
		// A client option is not a resolveApiKey option.
		await expect(resolveApiKey({ baseUrl: 'https://x' } as never)).rejects.toEqual(refused(/"baseUrl"/))
		expect(() => new CredentialsFile({ appName: 'x', lock: { timeout: 5 } } as never)).toThrow(
			refused(/"timeout" in lock options \(did you mean "timeoutMs"\?\)/),
		)
		expect(() => new CredentialsFile({ pth: '/tmp/x' } as never)).toThrow(refused(/did you mean "path"/))
		expect(() => promptHidden({ mesage: 'Key: ' } as never)).toThrow(refused(/did you mean "message"/))
	})
})
