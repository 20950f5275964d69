export * from './price-list';
export { loadPriceList, priceListVersion, storePriceList } from './load';
