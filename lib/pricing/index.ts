export * from './price-list';
export { defaultPriceList, loadPriceList, priceListVersion, storePriceList } from './load';
