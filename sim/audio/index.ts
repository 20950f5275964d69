export * from './g711';
export * from './speech';
export * from './mode';
