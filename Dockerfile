FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY tsconfig.json ./
COPY src ./src
COPY schemas ./schemas
COPY bin ./bin
ENV HOST=0.0.0.0 SCIM_PORT=8443 ADMIN_PORT=8444 DATA_DIR=/data
EXPOSE 8443 8444
CMD ["node", "--import", "tsx", "src/main.ts"]
