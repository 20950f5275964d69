/**
 * Keys the loopback simulators accept when a vendor has no credentials configured. Not secrets:
 * they only open the simulators, and live mode never uses them.
 */
export const SIM_CREDENTIALS = {
  azureSpeechKey: 'sim-azure-speech-key',
  openrouterApiKey: 'sk-or-sim-key',
  elevenlabsApiKey: 'sim-elevenlabs-key',
} as const;
