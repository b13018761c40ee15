export { type CheckResult, ProductionValidator, type ProductionValidatorOptions } from './production-validator.js';
