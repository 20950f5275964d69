/**
 * Where Twilio opens the Media Streams WebSocket: MEDIA_PUBLIC_URL, plus MEDIA_STREAM_PATH when
 * MEDIA_PUBLIC_URL is a bare origin. The media gateway serves this path.
 */
export const MEDIA_STREAM_PATH = '/twilio/stream';

export function mediaStreamUrl(mediaPublicUrl: string): string {
  const u = new URL(mediaPublicUrl);
  if (u.pathname === '' || u.pathname === '/') u.pathname = MEDIA_STREAM_PATH;
  return u.toString();
}
