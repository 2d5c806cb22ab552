import root from '../eslint.config.mjs';

// Plain Node ES modules: declare Node's globals for no-undef.
export default [
  ...root,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
  },
];
