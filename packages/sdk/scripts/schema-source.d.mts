export declare function generateSchemaSource(): Promise<string>;
