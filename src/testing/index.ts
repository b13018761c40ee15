export { AsyncTestClient, TestClient, type TestFile, type TestRequestOptions, TestResponse, type WebSocketConnectOptions } from './test-client.js';
export { TestDatabase, type TestDatabaseOptions } from './test-database.js';
export { type LoadTestOptions, type LoadTestResult, PerformanceTest, type RunLoadOptions, runLoad } from './performance-test.js';
export { type FuzzFailOn, type FuzzFinding, type FuzzFindingKind, type FuzzOptions, type FuzzReport, type FuzzTarget, fuzz } from './fuzz/fuzz.js';
export { type FuzzCase, type FuzzCaseKind, type FuzzCaseOptions, type FuzzRequest, fuzzCases } from './fuzz/fuzz-cases.js';
export { formatFuzzReport } from './fuzz/format-report.js';
export { toCurl } from './fuzz/curl.js';
export { validateJsonSchema } from './fuzz/validate-json-schema.js';
export type { OpenAPIDocumentLike } from './fuzz/operations.js';
