export * from './price-list';
export * from './price-call';
export { defaultPriceList, loadPriceList, priceListVersion, storePriceList } from './load';
