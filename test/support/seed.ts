/**
 * The seed walkthrough's request bodies, character for character as the seed
 * document writes them (only the ids it says to fill in are filled in).
 */
export const SEED_EMAIL = "deptrai123@gmail.com";

export const SEED_REGISTER = `{
"email": "deptrai123@gmail.com",
"password": "deptrai123",
"first_name": "dep",
"last_name": "trai",
"address": "123 street",
"phone_number": "0123456788"
}`;

export const SEED_LOGIN = `{
"email": "deptrai123@gmail.com",
"password": "deptrai123"
}`;

export const SEED_CATEGORY = `{
"name" : "whey",
"description": "whey protein"
}`;

export const seedIsolate = (categoryId: number) => `{
"category_id": ${categoryId},
"name": "Whey Protein Isolate",
"description": "100% Whey Protein Isolate",
"brand_name": "OstroVit",
"price": 1390,
"inventory": 1000
}`;

export const seedProfessional = (categoryId: number) => `{
"category_id": ${categoryId},
"name": "Whey Protein Professional",
"description": "100% Whey Protein Professional",
"brand_name": "Scitec Nutrition",
"price": 3780,
"inventory": 1000
}`;

export const seedPurchase = (firstProductId: number, secondProductId: number) => `{
"order_items": [
{
"product_id": ${firstProductId},
"quantity": 4
},
{
"product_id": ${secondProductId},
"quantity": 5
}
],
"payment": {
"currency_code": "VND"
}
}`;
