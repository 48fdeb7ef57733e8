// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "release/",
      "node_modules/",
      "examples/*/node_modules/",
      "sdk/",
      "reports/",
      ".stryker-tmp/",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // handler.ts loads entry.ts with require() on purpose (see the comment there).
    files: ["tests/**/*.ts", "src/handler.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
