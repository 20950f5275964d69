/**
 * The demo talks to the stack as a client would: over the public API with an API key, through the
 * typed client generated from the contract (client/). 429s are waited out by the client, and
 * `ok()` turns any other non-2xx answer into an ApiError carrying the API's message.
 */
import { createAicallClient, type AicallClient } from '../../client';

export { ApiError, ok } from '../../client';
export type Api = AicallClient;

export const apiClient = (origin: string, key: string): Api => createAicallClient(origin, key);
