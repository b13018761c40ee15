import { type Rules, type RulesOutput, type ValidateOptions, Validator, type ValidatorOptions } from '../validator.js';

/**
 * Validates data against rules given per call (the seed's "Security Best Practices"
 * `InputValidator`). Rule dicts are compiled once and cached by identity, so declare them
 * once (a module constant), not inline per request.
 *
 * @example
 * const validator = new InputValidator();
 * const RULES = { name: { required: true, maxLength: 100, pattern: /^[a-zA-Z\s]+$/ }, email: { required: true, email: true } } as const;
 * const data = validator.validate(await req.json(), RULES); // { name: string; email: string }
 */
export class InputValidator {
  readonly #options: ValidatorOptions;
  readonly #compiled = new WeakMap<Rules, Validator>();

  constructor(options: ValidatorOptions = {}) {
    this.#options = options;
  }

  /** Returns the declared fields of `data`, or throws `ValidationError`. `options` (`coerce`, `strict`) apply to this call. */
  validate<const R extends Rules>(data: unknown, rules: R, options?: ValidateOptions): RulesOutput<R> {
    let validator = this.#compiled.get(rules);
    if (validator === undefined) {
      validator = new Validator(rules, this.#options);
      this.#compiled.set(rules, validator);
    }
    return validator.validate(data, options) as RulesOutput<R>;
  }
}
