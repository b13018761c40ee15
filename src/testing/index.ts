export { AsyncTestClient, TestClient, type TestFile, type TestRequestOptions, TestResponse } from './test-client.js';
