// The uploader's transport and environment in a browser: the studio API through the session's
// fetch, part bytes by XMLHttpRequest (fetch reports no upload progress) to the presigned URL.
import { ApiError } from '../../api/apiError';
import { abortVideoUpload, completeVideoUpload, fetchPartUrls, reportUploadedPart, startVideoUpload } from '../api';
import { TransportError, type UploadTransport, type UploaderEnvironment } from './uploader';

/** The same failure as a TransportError, so the scheduler can tell network trouble from a refusal. */
export function toTransportError(error: unknown): unknown {
  if (error instanceof TransportError) return error;
  if (error instanceof ApiError) {
    return new TransportError('http', error.message, error.status, error.code, error.details, { cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new TransportError('aborted', error.message, undefined, undefined, undefined, { cause: error });
  }
  // fetch rejects with a TypeError when the request never got an answer.
  if (error instanceof TypeError) {
    return new TransportError('network', error.message, undefined, undefined, undefined, { cause: error });
  }
  return error;
}

async function classified<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toTransportError(error);
  }
}

function putWithXhr(
  url: string,
  body: Blob,
  { signal, onProgress }: { signal: AbortSignal; onProgress: (loadedBytes: number) => void },
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new TransportError('aborted', 'part upload aborted'));
    const xhr = new XMLHttpRequest();
    // No credentials and no Authorization header: the URL carries its own signature, and in S3
    // mode it is another origin that must not see the session.
    xhr.open('PUT', url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    const onAbort = () => xhr.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      if (xhr.status < 200 || xhr.status >= 300) {
        return reject(new TransportError('http', `part PUT answered HTTP ${xhr.status}`, xhr.status));
      }
      const etag = xhr.getResponseHeader('ETag');
      // In S3 mode the bucket's CORS rule must expose ETag; without it the part cannot be recorded.
      if (!etag) return reject(new TransportError('http', 'the storage answer carried no ETag header', xhr.status));
      onProgress(body.size);
      resolve(etag);
    };
    xhr.onerror = () => {
      done();
      reject(new TransportError('network', 'part PUT failed: no answer'));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      done();
      reject(new TransportError('aborted', 'part upload aborted'));
    };
    xhr.send(body);
  });
}

export const browserTransport: UploadTransport = {
  start: (body) => classified(() => startVideoUpload(body)),
  partUrls: (videoId, partNumbers) => classified(async () => (await fetchPartUrls(videoId, partNumbers)).urls),
  putPart: putWithXhr,
  reportPart: (videoId, part) => classified(() => reportUploadedPart(videoId, part)),
  complete: (videoId) => classified(() => completeVideoUpload(videoId)),
  abort: (videoId) => classified(() => abortVideoUpload(videoId)),
};

export const browserEnvironment: UploaderEnvironment = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new DOMException('sleep aborted', 'AbortError'));
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new DOMException('sleep aborted', 'AbortError'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  isOnline: () => navigator.onLine,
  onConnectivityChange: (listener) => {
    const online = () => listener(true);
    const offline = () => listener(false);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    };
  },
};
