export { AsyncTestClient, TestClient, type TestFile, type TestRequestOptions, TestResponse, type WebSocketConnectOptions } from './test-client.js';
export { TestDatabase, type TestDatabaseOptions } from './test-database.js';
export { type LoadTestOptions, type LoadTestResult, PerformanceTest, type RunLoadOptions, runLoad } from './performance-test.js';
